import { CancelledError, HerokuApiError } from '../../src/errors.js'
import { inMaintenance } from '../../src/heroku/maintenance.js'
import { newResult } from '../../src/result.js'
import { CleanupWindow } from '../../src/util/cleanup.js'
import { FakeHeroku } from '../fakes/heroku.js'
import { MemoryLog } from '../fakes/log.js'

const forbidden = () => new HerokuApiError('PATCH', '/apps/my-app', 403, 'forbidden', 'You do not have access to the app my-app.')

test('maintenance is on while the release runs and off after it, also when it fails', async () => {
  const api = new FakeHeroku()
  const seen: boolean[] = []
  await expect(
    inMaintenance(api, new MemoryLog(), newResult('my-app'), 'deploy', async () => {
      seen.push(...api.maintenance)
      throw new Error('release phase failed')
    })
  ).rejects.toThrow('release phase failed')
  expect(seen).toEqual([true])
  expect(api.maintenance).toEqual([true, false])
})

test('a failure to turn it off is an error in the log and on the result, and the release keeps its outcome', async () => {
  const api = new FakeHeroku()
  api.maintenanceFails = { on: false, error: forbidden() }
  const log = new MemoryLog()
  const result = newResult('my-app')
  expect(await inMaintenance(api, log, result, 'deploy', async () => 'released')).toBe('released')
  expect(result.maintenanceError).toMatch(
    /^Maintenance mode could not be turned off on my-app, which still shows the maintenance page: Heroku API PATCH \/apps\/my-app answered 403/
  )
  expect(log.text()).toContain('error: Maintenance mode could not be turned off on my-app')
  expect(log.text()).toContain('Turn it off by hand')
})

test('the deploy never ships without maintenance; a rollback goes ahead without it, with a warning', async () => {
  const api = new FakeHeroku()
  api.maintenanceFails = { on: true, error: forbidden() }
  let released = 0
  const release = async () => ++released
  await expect(inMaintenance(api, new MemoryLog(), newResult('my-app'), 'deploy', release)).rejects.toThrow('answered 403')
  expect(released).toBe(0)

  const log = new MemoryLog()
  expect(await inMaintenance(api, log, newResult('my-app'), 'rollback', release)).toBe(1)
  expect(log.text()).toMatch(/^warning: Could not turn maintenance mode on for the rollback of my-app; rolling back without it/m)
  expect(api.maintenance).toEqual([])
})

test('after a cancel, turning maintenance off gets what is left of the cleanup window, then fails loudly', async () => {
  const api = new FakeHeroku()
  // Heroku hangs on the PATCH that turns maintenance off.
  api.setMaintenance = async (_app, on) => (on ? { id: 'app-1', name: 'my-app', maintenance: true } : new Promise(() => undefined))
  const cancel = new AbortController()
  const log = new MemoryLog()
  const result = newResult('my-app')
  const started = Date.now()
  await expect(
    inMaintenance(
      api,
      log,
      result,
      'deploy',
      async () => {
        cancel.abort()
        throw new CancelledError()
      },
      new CleanupWindow(cancel.signal, 1000)
    )
  ).rejects.toThrow(CancelledError)
  expect(Date.now() - started).toBeLessThan(1000 + 1000)
  expect(result.maintenanceError).toMatch(/Turning maintenance mode off on my-app got no answer within [\d.]+ s/)
  expect(log.text()).toContain('error: Maintenance mode could not be turned off on my-app')
})
