import { createHash, randomUUID } from 'node:crypto'
import * as fs from 'node:fs'
import { availableParallelism } from 'node:os'
import * as path from 'node:path'
import { DeployError } from '../errors.js'
import { exitOf, type GitProcess, locateCommit, spawnGit } from '../util/git.js'
import { CancelledError } from '../util/time.js'
import { DeflatePool, type DeflatedBlock, releaseBuffer } from './deflate-pool.js'
import { crc32Combine, gzipHeader, gzipTrailer } from './gzip.js'

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
  /** Tuning, for the benchmark and tests; the defaults are what the action uses. */
  tuning?: Partial<PackagingTuning>
}

export interface PackagingTuning {
  /** Deflate level of compressed blocks. */
  level: number
  /** Uncompressed bytes per block. */
  blockSize: number
  /** Cores to compress on at most: this thread and `threads - 1` worker threads. */
  threads: number
  /** Sees the pool once packaging starts (tests check that its threads stop). */
  onPool?: (pool: DeflatePool) => void
}

/**
 * Level 1: measured on a 170 MB tree (README, "Packaging"), each level above it saves fewer bytes than it
 * costs in time at any upload speed a runner reaches. Blocks of 1 MiB: few enough messages, and the
 * 32 KiB dictionary from the block before keeps the size within 0.1 % of one stream.
 */
export const DEFAULT_TUNING: PackagingTuning = {
  level: 1,
  blockSize: 1024 * 1024,
  // Every core, up to 4: beyond that `git archive` itself (one thread) is the limit, and each thread costs memory.
  threads: Math.max(1, Math.min(4, availableParallelism()))
}

const DICTIONARY = 32 * 1024

/**
 * Packs the committed files of `sourceDir` at `sha` with `git archive`, so untracked files and `.git/`
 * never ship, and gzips the tar in 1 MiB blocks on every core (pigz-style: one gzip member, blocks cut
 * on byte boundaries). The blocks are written in order to a spool file while SHA-256 and the size are
 * computed: memory stays flat however large the tree is. A cancel stops git and the threads and removes
 * the file.
 */
export async function createSourceArchive(request: ArchiveRequest): Promise<SourceArchive> {
  const { sourceDir, sha, tempDir, signal } = request
  const tuning = { ...DEFAULT_TUNING, ...request.tuning }
  const { root, treeish } = await locateCommit(sourceDir, sha)
  throwIfAborted(signal)

  await fs.promises.mkdir(tempDir, { recursive: true })
  const file = path.join(tempDir, `heroku-cd-source-${randomUUID()}.tar.gz`)
  const out = await fs.promises.open(file, 'w')
  const spool = new Spool(out, tuning.level)
  const pool = new DeflatePool(tuning.threads, tuning.level, tuning.blockSize)
  tuning.onPool?.(pool)
  let git: GitProcess | undefined
  // git stops with the signal by itself (spawnGit); the threads are ours to stop.
  const stop = () => void pool.close()
  signal?.addEventListener('abort', stop, { once: true })
  try {
    await spool.start()
    throwIfAborted(signal)
    git = spawnGit(['archive', '--format=tar', treeish], { cwd: root, signal })
    let stderr = ''
    git.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)))
    const exited = exitOf(git)
    exited.catch(() => undefined) // awaited once the tar is read; a spawn failure also ends stdout
    // Read from now on: once git exits, Node discards whatever output nobody is reading.
    await compressBlocks(git.stdout, pool, spool, tuning.threads * 2)
    throwIfAborted(signal)
    const code = await exited
    if (code !== 0) throw new DeployError('package', `git archive failed (exit ${code}): ${stderr.trim()}`)
    return { path: file, ...(await spool.finish()) }
  } catch (error) {
    stopGit(git)
    await fs.promises.rm(file, { force: true })
    throw signal?.aborted ? new CancelledError() : error
  } finally {
    signal?.removeEventListener('abort', stop)
    await out.close().catch(() => undefined)
    await pool.close()
  }
}

/**
 * Cuts the tar stream into blocks for the pool, keeping at most `inFlight` of them in the threads; each
 * finished block is written as soon as every block before it is. Reading waits while the threads are full,
 * so git waits too.
 */
async function compressBlocks(tar: AsyncIterable<Buffer>, pool: DeflatePool, spool: Spool, inFlight: number): Promise<void> {
  const queue: Promise<DeflatedBlock>[] = []
  const submit = (block: Uint8Array, length: number, dictionary: Uint8Array | undefined, last: boolean) => {
    const job = pool.deflate(block, length, dictionary, last)
    job.catch(() => undefined) // awaited in order below; this only keeps a failure from being "unhandled" meanwhile
    queue.push(job)
  }
  const writeOldest = async () => {
    const done = await (queue.shift() as Promise<DeflatedBlock>)
    await spool.write(done)
    pool.recycle(done)
  }

  let block = pool.take()
  let filled = 0
  let dictionary: Uint8Array | undefined
  for await (const chunk of tar) {
    for (let offset = 0; offset < chunk.length;) {
      const n = Math.min(chunk.length - offset, block.length - filled)
      block.set(chunk.subarray(offset, offset + n), filled)
      filled += n
      offset += n
      if (filled < block.length) continue
      const tail = block.slice(Math.max(0, block.length - DICTIONARY))
      submit(block, filled, dictionary, false)
      dictionary = tail
      while (queue.length >= inFlight) await writeOldest()
      block = pool.take()
      filled = 0
    }
    // Each read from the pipe has a buffer of its own, copied into the block by now.
    if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) releaseBuffer(chunk)
  }
  submit(block, filled, dictionary, true)
  while (queue.length > 0) await writeOldest()
}

/** The gzip file on disk: header, blocks in order, trailer; SHA-256 and size of every byte written. */
class Spool {
  private readonly hash = createHash('sha256')
  private bytes = 0
  private crc = 0
  private size = 0

  constructor(
    private readonly out: fs.promises.FileHandle,
    private readonly level: number
  ) {}

  start(): Promise<void> {
    return this.append(gzipHeader(this.level))
  }

  async write(block: DeflatedBlock): Promise<void> {
    this.crc = crc32Combine(this.crc, block.crc, block.length)
    this.size += block.length
    await this.append(block.output)
  }

  async finish(): Promise<{ bytes: number; sha256: string }> {
    await this.append(gzipTrailer(this.crc, this.size))
    return { bytes: this.bytes, sha256: this.hash.digest('hex') }
  }

  private async append(data: Uint8Array): Promise<void> {
    this.hash.update(data)
    this.bytes += data.length
    for (let written = 0; written < data.length;) {
      written += (await this.out.write(data, written, data.length - written)).bytesWritten
    }
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError()
}

/** Stops git when packaging fails on our side (the pool, the disk) while it still writes. */
function stopGit(git: GitProcess | undefined): void {
  try {
    if (git?.pid !== undefined && git.exitCode === null && git.signalCode === null) process.kill(-git.pid, 'SIGTERM')
  } catch {
    // already gone
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
