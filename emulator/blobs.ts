import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import * as path from 'node:path'
import { type Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

export interface Blob {
  id: string
  file: string
  getSig: string
  putSig: string
  /** Set once an upload completed. */
  upload?: { size: number; sha256: string }
}

/** Where a build's source_blob.url points, and whether the builder may read it. */
export type BlobLookup = { blob: Blob; readable: true } | { blob: Blob; readable: false; reason: string }

/**
 * Source blobs, served the way S3 serves Heroku's presigned source URLs: the PUT and GET URLs carry
 * different signatures, a PUT with a Content-Type breaks the signature (403 SignatureDoesNotMatch), a
 * PUT without Content-Length is refused (411 MissingContentLength). Uploads stream to disk.
 */
export class BlobStore {
  private readonly blobs = new Map<string, Blob>()

  constructor(
    private readonly dir: string,
    private readonly baseUrl: string
  ) {}

  create(): { get_url: string; put_url: string } {
    const id = randomUUID()
    const blob: Blob = { id, file: path.join(this.dir, `${id}.tgz`), getSig: signature(), putSig: signature() }
    this.blobs.set(id, blob)
    return { get_url: this.url(blob, blob.getSig), put_url: this.url(blob, blob.putSig) }
  }

  handles(pathname: string): boolean {
    return pathname.startsWith('/blobs/')
  }

  /** A blob filled from a stream inside the emulator (a git push's tarball): its get_url and SHA-256. */
  async store(source: Readable): Promise<{ get_url: string; sha256: string }> {
    const { get_url } = this.create()
    const blob = this.blobs.get(blobId(new URL(get_url).pathname) ?? '') as Blob
    const sha256 = createHash('sha256')
    let size = 0
    const hash = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        sha256.update(chunk)
        size += chunk.length
        done(null, chunk)
      }
    })
    await pipeline(source, hash, createWriteStream(blob.file))
    blob.upload = { size, sha256: sha256.digest('hex') }
    return { get_url, sha256: blob.upload.sha256 }
  }

  /** Resolves a URL given to POST /builds; undefined when it is not one of this store's blobs. */
  lookup(url: string): BlobLookup | undefined {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      return undefined
    }
    if (parsed.origin !== new URL(this.baseUrl).origin) return undefined
    const blob = this.blobs.get(blobId(parsed.pathname) ?? '')
    if (!blob) return undefined
    if (parsed.searchParams.get('sig') !== blob.getSig) return { blob, readable: false, reason: '403 SignatureDoesNotMatch (not the get_url)' }
    if (!blob.upload) return { blob, readable: false, reason: '404 NoSuchKey (nothing was uploaded to the put_url)' }
    return { blob, readable: true }
  }

  async serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const blob = this.blobs.get(blobId(url.pathname) ?? '')
    const sig = url.searchParams.get('sig')
    if (req.method === 'PUT') {
      if (!blob || sig !== blob.putSig) return s3Error(req, res, 403, 'SignatureDoesNotMatch', SIGNATURE_MESSAGE)
      // The URL was signed without a content type: sending one changes the string to sign.
      if (req.headers['content-type']?.trim()) return s3Error(req, res, 403, 'SignatureDoesNotMatch', SIGNATURE_MESSAGE)
      if (req.headers['content-length'] === undefined) {
        return s3Error(req, res, 411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.')
      }
      return this.receive(blob, req, res)
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (!blob || sig !== blob.getSig) return s3Error(req, res, 403, 'SignatureDoesNotMatch', SIGNATURE_MESSAGE)
      if (!blob.upload) return s3Error(req, res, 404, 'NoSuchKey', 'The specified key does not exist.')
      res.writeHead(200, { 'Content-Type': 'binary/octet-stream', 'Content-Length': blob.upload.size })
      if (req.method === 'HEAD') return void res.end()
      return pipeline(createReadStream(blob.file), res)
    }
    return s3Error(req, res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.')
  }

  /** An injected failure, answered the way S3 fails (SlowDown, InternalError, ...). */
  fail(req: IncomingMessage, res: ServerResponse, status: number): void {
    const [code, message] = S3_FAILURES[status] ?? ['ServiceUnavailable', 'Please reduce your request rate.']
    s3Error(req, res, status, code, message)
  }

  /** Streams the body to a part file while hashing it; the blob only changes once the whole body arrived. */
  private async receive(blob: Blob, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const part = `${blob.file}.part-${randomBytes(4).toString('hex')}`
    const sha256 = createHash('sha256')
    const md5 = createHash('md5')
    let size = 0
    const hash = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        sha256.update(chunk)
        md5.update(chunk)
        size += chunk.length
        done(null, chunk)
      }
    })
    try {
      await pipeline(req, hash, createWriteStream(part))
      if (size !== Number(req.headers['content-length'])) throw new Error('body shorter than Content-Length')
      await rename(part, blob.file)
    } catch {
      await rm(part, { force: true })
      if (!res.headersSent && !req.socket.destroyed)
        s3Error(req, res, 400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.')
      return
    }
    blob.upload = { size, sha256: sha256.digest('hex') }
    res.writeHead(200, { ETag: `"${md5.digest('hex')}"`, 'Content-Length': 0 })
    res.end()
  }

  private url(blob: Blob, sig: string): string {
    return `${this.baseUrl}/blobs/${blob.id}?sig=${sig}`
  }
}

const SIGNATURE_MESSAGE = 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'

const S3_FAILURES: Record<number, [string, string]> = {
  400: ['BadRequest', 'An error occurred when parsing the HTTP request.'],
  403: ['AccessDenied', 'Access Denied'],
  404: ['NoSuchKey', 'The specified key does not exist.'],
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
  503: ['SlowDown', 'Please reduce your request rate.']
}

const signature = () => randomBytes(16).toString('hex')

const blobId = (pathname: string) => /^\/blobs\/([\w-]+)$/.exec(pathname)?.[1]

/** An S3-style XML error. The request body is drained first so the client can read the answer. */
function s3Error(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string): void {
  req.resume()
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomBytes(8).toString('hex').toUpperCase()}</RequestId></Error>\n`
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) })
  res.end(body)
}
