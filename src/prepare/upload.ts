import * as fs from 'node:fs'
import * as http from 'node:http'
import * as https from 'node:https'
import { backoffDelay, withRetry } from '../util/retry.js'
import type { SourceArchive } from './archive.js'

export interface UploadOptions {
  signal?: AbortSignal
  attempts?: number
  onRetry?: (message: string) => void
}

/**
 * PUTs the archive to a presigned URL: streamed from disk, with `Content-Length` and an empty
 * `Content-Type` (the URL is signed without one) and without Heroku credentials. Retried on 5xx and
 * dropped connections; the file is read again for each attempt.
 */
export async function uploadSource(archive: SourceArchive, putUrl: string, options: UploadOptions = {}): Promise<void> {
  const policy = { attempts: options.attempts ?? 5, baseDelayMs: 1000, maxDelayMs: 15_000 }
  await withRetry(() => putFile(archive, putUrl, options.signal), {
    ...policy,
    signal: options.signal,
    retryDelay: (error, attempt) => ((error as UploadError).transient ? backoffDelay(policy, attempt) : undefined),
    onRetry: (error, attempt) => options.onRetry?.(`${(error as Error).message}; retrying (attempt ${attempt + 1} of ${policy.attempts})`)
  })
}

class UploadError extends Error {
  constructor(
    message: string,
    readonly transient: boolean
  ) {
    super(message)
    this.name = 'UploadError'
  }
}

const UPLOAD_IDLE_TIMEOUT_MS = 120_000

function putFile(archive: SourceArchive, putUrl: string, signal?: AbortSignal): Promise<void> {
  const url = new URL(putUrl)
  const transport = url.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const request = transport.request(url, {
      method: 'PUT',
      headers: { 'Content-Type': '', 'Content-Length': archive.bytes },
      // A fresh connection per attempt: a store that answered early must not leave half a body on a reused socket.
      agent: false,
      signal
    })
    // The URL carries a signature: errors name the host only.
    const where = `upload of the source to ${url.host}`
    request.setTimeout(UPLOAD_IDLE_TIMEOUT_MS, () => request.destroy(new Error('no progress for 120 s')))
    request.on('error', (error) => reject(new UploadError(`${where} failed: ${error.message}`, !signal?.aborted)))
    request.on('response', (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body = (body + chunk).slice(0, 2000)))
      response.on('error', (error) => reject(new UploadError(`${where} failed: ${error.message}`, true)))
      response.on('end', () => {
        const status = response.statusCode ?? 0
        if (status >= 200 && status < 300) return resolve()
        const detail = /<Message>([^<]*)<\/Message>/.exec(body)?.[1] ?? body.trim().slice(0, 200)
        reject(new UploadError(`${where} answered ${status}: ${detail}`, status >= 500 || status === 429))
      })
    })
    sendFile(archive.path, request).catch((error: Error) => request.destroy(error))
  })
}

const CHUNK = 1024 * 1024

/**
 * Writes the file into the request through two buffers used in turn, each refilled once the socket has
 * taken what it held: a read stream's fresh 64 KiB buffer per read would pile up tens of MB of garbage
 * before a collection, on a big tarball.
 */
async function sendFile(file: string, request: http.ClientRequest): Promise<void> {
  const handle = await fs.promises.open(file)
  // A request that ended early (the store answered, the connection dropped) takes no more writes.
  const closed = new Promise<void>((resolve) => request.once('close', resolve))
  try {
    const buffers = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)]
    const sent: Promise<void>[] = [Promise.resolve(), Promise.resolve()]
    for (let turn = 0; ; turn = 1 - turn) {
      await Promise.race([sent[turn], closed]) // this buffer's last write has left
      if (request.destroyed) return
      const { bytesRead } = await handle.read(buffers[turn], 0, CHUNK, null)
      if (bytesRead === 0) break
      sent[turn] = new Promise((resolve, reject) => request.write(buffers[turn].subarray(0, bytesRead), (error) => (error ? reject(error) : resolve())))
      sent[turn].catch(() => undefined) // a failed write also fails the request, which reports it
    }
    await Promise.race([Promise.all(sent), closed])
    if (!request.destroyed) request.end()
  } finally {
    await handle.close()
  }
}
