import { appLog } from '../../src/log.js'
import { inPool } from '../../src/util/pool.js'
import { MemoryLog } from '../fakes/log.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

test('never more than `limit` tasks at once, and every item gets its turn, in order', async () => {
  let running = 0
  let most = 0
  const started: number[] = []
  await inPool([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
    started.push(item)
    most = Math.max(most, ++running)
    await tick()
    running--
  })
  expect(most).toBe(3)
  expect(started).toEqual([1, 2, 3, 4, 5, 6, 7])
})

test('one task failing never stops the others; the first error comes out once all are done', async () => {
  const done: string[] = []
  const run = inPool(['a', 'b', 'c'], 2, async (item) => {
    await tick()
    if (item === 'a') throw new Error('a broke')
    done.push(item)
  })
  await expect(run).rejects.toThrow('a broke')
  expect(done.sort()).toEqual(['b', 'c'])
})

test('once stopped, no further task starts; the running ones finish', async () => {
  const stop = new AbortController()
  const started: number[] = []
  const finished: number[] = []
  await inPool(
    [1, 2, 3, 4],
    2,
    async (item) => {
      started.push(item)
      await tick()
      if (item === 1) stop.abort()
      finished.push(item)
    },
    stop.signal
  )
  expect(started).toEqual([1, 2])
  expect(finished.sort()).toEqual([1, 2])
})

test("an app's log prefixes every line with its name, and a group is only its title line", async () => {
  const log = new MemoryLog()
  const app = appLog(log, 'shop-eu')
  await app.group('Build output (shop-eu)', async () => app.info('-----> Building\n-----> Done'))
  app.warning('slow')
  app.notice('note')
  expect(log.lines).toEqual(['[shop-eu] ▸ Build output (shop-eu)', '[shop-eu] -----> Building\n[shop-eu] -----> Done', 'warning: [shop-eu] slow', 'notice: [shop-eu] note'])
})
