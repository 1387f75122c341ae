import { createHash } from 'node:crypto'
import { createReadStream, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { API_KEY, api, get, removeTempDirs, tempDir } from './support.js'

interface SourceUrls {
  get_url: string
  put_url: string
}

/** PUTs with node:http, to control Content-Length, Content-Type and chunking exactly. */
function put(url: string, body: Buffer | string, headers: Record<string, string | number>, chunked = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers }, (res) => {
      let text = ''
      res
        .setEncoding('utf8')
        .on('data', (chunk) => (text += chunk))
        .on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.on('error', reject)
    if (chunked) req.write(body) // no Content-Length: Node sends Transfer-Encoding: chunked
    req.end(chunked ? undefined : body)
  })
}

describe('source blobs (the S3 stand-in)', () => {
  let emulator: Emulator
  let urls: SourceUrls

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY })
  })

  afterAll(async () => {
    await emulator.close()
    removeTempDirs()
  })

  test('POST /sources answers 201 with get and put URLs on the emulator', async () => {
    const answer = await api<{ source_blob: SourceUrls }>(emulator, 'POST', '/sources')
    expect(answer.status).toBe(201)
    urls = answer.json.source_blob
    expect(urls.get_url.startsWith(`${emulator.apiUrl}/blobs/`)).toBe(true)
    expect(urls.put_url.startsWith(`${emulator.apiUrl}/blobs/`)).toBe(true)
    expect(urls.get_url).not.toBe(urls.put_url)
  })

  test('nothing to GET before the upload: 404 NoSuchKey', async () => {
    const answer = await get(urls.get_url)
    expect(answer.status).toBe(404)
    expect(answer.text).toContain('<Code>NoSuchKey</Code>')
  })

  test('a PUT with a Content-Type is refused like a broken S3 signature', async () => {
    const answer = await put(urls.put_url, 'data', { 'Content-Type': 'application/gzip', 'Content-Length': 4 })
    expect(answer.status).toBe(403)
    expect(answer.text).toContain('<Code>SignatureDoesNotMatch</Code>')
  })

  test('a chunked PUT without Content-Length is refused with 411 MissingContentLength', async () => {
    const answer = await put(urls.put_url, 'data', {}, true)
    expect(answer.status).toBe(411)
    expect(answer.text).toContain('<Code>MissingContentLength</Code>')
  })

  test('a PUT to the get_url (wrong signature) is refused', async () => {
    expect((await put(urls.get_url, 'data', { 'Content-Length': 4 })).status).toBe(403)
  })

  test('a PUT with an empty Content-Type and a Content-Length is stored; GET returns the bytes', async () => {
    const bytes = Buffer.from('some tarball bytes')
    const stored = await put(urls.put_url, bytes, { 'Content-Type': '', 'Content-Length': bytes.length })
    expect(stored).toEqual({ status: 200, text: '' })
    const back = await fetch(urls.get_url)
    expect(Buffer.from(await back.arrayBuffer())).toEqual(bytes)
    expect((await get(urls.put_url)).status).toBe(403) // the put_url does not sign a GET
  })

  test('blob requests need no API credentials but are recorded', () => {
    const blobRequests = emulator.requests.filter((r) => r.path.startsWith('/blobs/'))
    expect(blobRequests.map((r) => [r.method, r.status])).toEqual([
      ['GET', 404],
      ['PUT', 403],
      ['PUT', 411],
      ['PUT', 403],
      ['PUT', 200],
      ['GET', 200],
      ['GET', 403]
    ])
    expect(blobRequests.every((r) => r.body === '')).toBe(true)
  })

  test('an injected failure answers like S3 (503 SlowDown); the retry goes through', async () => {
    emulator.faults.failNext(1, 503, { method: 'PUT', path: /^\/blobs\// })
    const bytes = Buffer.from('retry me')
    const failed = await put(urls.put_url, bytes, { 'Content-Type': '', 'Content-Length': bytes.length })
    expect(failed.status).toBe(503)
    expect(failed.text).toContain('<Code>SlowDown</Code>')
    expect((await put(urls.put_url, bytes, { 'Content-Type': '', 'Content-Length': bytes.length })).status).toBe(200)
    expect(Buffer.from(await (await fetch(urls.get_url)).arrayBuffer())).toEqual(bytes)
  })

  test('a large upload streams to disk and comes back intact', async () => {
    const file = path.join(tempDir(), 'large.bin')
    const chunk = createHash('sha512').update('seed').digest()
    writeFileSync(file, Buffer.concat(Array.from({ length: (32 * 1024 * 1024) / chunk.length }, () => chunk))) // 32 MiB
    const source = (await api<{ source_blob: SourceUrls }>(emulator, 'POST', '/sources')).json.source_blob
    const stored = await new Promise<number>((resolve, reject) => {
      const req = request(source.put_url, { method: 'PUT', headers: { 'Content-Type': '', 'Content-Length': 32 * 1024 * 1024 } }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode ?? 0))
      })
      req.on('error', reject)
      createReadStream(file).pipe(req)
    })
    expect(stored).toBe(200)

    const hash = createHash('sha256')
    let size = 0
    for await (const part of (await fetch(source.get_url)).body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(part)
      size += part.length
    }
    expect(size).toBe(32 * 1024 * 1024)
    const expected = createHash('sha256').update(readFileSync(file))
    expect(hash.digest('hex')).toBe(expected.digest('hex'))
  })
})
