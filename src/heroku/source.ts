import { spawn } from 'node:child_process'
import { createHash, randomUUID } from 'node:crypto'
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as https from 'node:https'
import * as path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { DeployError } from '../errors.js'
import { backoffDelay, withRetry } from '../util/retry.js'
import { locateCommit } from './git.js'

/** The gzipped tarball of the commit, spooled to disk: a presigned PUT needs its length up front. */
export interface SourceArchive {
  path: string
  bytes: number
  /** Hex SHA-256 of the gzipped bytes, as Heroku's `checksum` wants it. */
  sha256: string
}

export interface ArchiveRequest {
  /** Absolute folder to ship (the repository root or a folder in it). */
  sourceDir: string
  sha: string
  tempDir: string
  signal?: AbortSignal
}

/**
 * Packs the committed files of `sourceDir` at `sha` with `git archive`, so untracked files and
 * `.git/` never ship, and streams them through gzip and SHA-256 into a file: memory stays flat
 * however large the tree is.
 */
export async function createSourceArchive(request: ArchiveRequest): Promise<SourceArchive> {
  const { sourceDir, sha, tempDir, signal } = request
  const { root, treeish } = await locateCommit(sourceDir, sha)

  await fs.promises.mkdir(tempDir, { recursive: true })
  const file = path.join(tempDir, `heroku-cd-source-${randomUUID()}.tar.gz`)
  const hash = createHash('sha256')
  let bytes = 0
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk)
      bytes += chunk.length
      done(null, chunk)
    }
  })

  const git = spawn('git', ['archive', '--format=tar', treeish], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], signal })
  let stderr = ''
  git.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)))
  const exited = new Promise<number | null>((resolve, reject) => {
    git.on('error', reject)
    git.on('close', resolve)
  })
  try {
    await pipeline(git.stdout, createGzip({ level: 6 }), measure, fs.createWriteStream(file), { signal })
    const code = await exited
    if (code !== 0) throw new DeployError('package', `git archive failed (exit ${code}): ${stderr.trim()}`)
  } catch (error) {
    await fs.promises.rm(file, { force: true })
    throw error
  }
  return { path: file, bytes, sha256: hash.digest('hex') }
}

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
    fs.createReadStream(archive.path)
      .on('error', (error) => request.destroy(error))
      .pipe(request)
  })
}
