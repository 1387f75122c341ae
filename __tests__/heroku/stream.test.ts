import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { followOutputStream } from '../../src/heroku/stream.js'
import { CancelledError, Deadline } from '../../src/util/time.js'

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, hit: number) => void

/** A real local HTTP server whose answers each test scripts; `hits` counts the GETs. */
async function serve(handler: Handler): Promise<{ url: string; ranges: (string | undefined)[]; close: () => Promise<void> }> {
  const ranges: (string | undefined)[] = []
  const server = http.createServer((req, res) => {
    ranges.push(req.headers.range)
    handler(req, res, ranges.length)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/stream`,
    ranges,
    close: () => {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    }
  }
}

async function follow(url: string, ms = 5000, signal?: AbortSignal) {
  const lines: string[] = []
  const trouble: string[] = []
  await followOutputStream(url, { onLine: (l) => lines.push(l), onTrouble: (t) => trouble.push(t), deadline: new Deadline(ms, 'The stream'), signal, notFoundRetryMs: 5 })
  return { lines, trouble }
}

test('retries the 404 before the stream starts, then prints every line, the last one without a newline too', async () => {
  const server = await serve((_req, res, hit) => {
    if (hit <= 2) return void res.writeHead(404).end()
    res.writeHead(200, { 'Content-Type': 'text/plain' })
    res.write('-----> Building\n   step one\n')
    setTimeout(() => res.end('   done'), 20)
  })
  const { lines, trouble } = await follow(server.url)
  expect(lines).toEqual(['-----> Building', '   step one', '   done'])
  expect(trouble).toEqual([])
  expect(server.ranges).toHaveLength(3)
  await server.close()
})

test('resumes with a byte Range after a dropped connection, without repeating lines', async () => {
  const server = await serve((req, res, hit) => {
    if (hit === 1) {
      res.writeHead(200)
      res.write('first\nsec')
      setTimeout(() => res.socket?.destroy(), 20)
      return
    }
    const from = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1])
    res.writeHead(206)
    res.end('first\nsecond\nthird\n'.slice(from))
  })
  const { lines } = await follow(server.url)
  expect(lines).toEqual(['first', 'second', 'third'])
  expect(server.ranges).toEqual([undefined, 'bytes=9-'])
  await server.close()
})

test('a server that ignores Range replays from the start; the printed part is skipped', async () => {
  const server = await serve((_req, res, hit) => {
    res.writeHead(200)
    if (hit === 1) {
      res.write('one\ntw')
      setTimeout(() => res.socket?.destroy(), 20)
    } else res.end('one\ntwo\n')
  })
  expect((await follow(server.url)).lines).toEqual(['one', 'two'])
  await server.close()
})

test('a stream that keeps failing is given up with a warning, not an error', async () => {
  const server = await serve((_req, res) => void res.writeHead(500).end())
  const { trouble } = await follow(server.url)
  expect(trouble).toEqual(['the output stream answered 500'])
  await server.close()
})

test('a cancel stops following at once', async () => {
  const server = await serve((_req, res) => {
    res.writeHead(200)
    res.write('working\n')
  })
  const controller = new AbortController()
  setTimeout(() => controller.abort(), 50)
  await expect(follow(server.url, 5000, controller.signal)).rejects.toBeInstanceOf(CancelledError)
  await server.close()
})
