import { Worker } from 'node:worker_threads'
import { CancelledError } from '../util/time.js'
import { compressJob, type DeflateReply } from './deflate-worker.mjs'

/** One block of the stream, compressed on its own. Give it back with {@link DeflatePool.recycle} once written. */
export interface DeflatedBlock {
  output: Uint8Array
  /** CRC-32 and length of the block's uncompressed bytes, for the gzip trailer. */
  crc: number
  length: number
  /** Stored rather than compressed: it looked incompressible. */
  stored: boolean
  /** The pool's buffer `output` is a view of. */
  room?: Uint8Array
}

interface Job {
  id: number
  length: number
  resolve: (block: DeflatedBlock) => void
  reject: (error: Error) => void
}

/**
 * Compresses blocks on `threads` cores, pigz-style: worker threads (./deflate-worker.mjs, at most
 * `threads - 1`) take the blocks while one is idle, and this thread, which reads and writes, compresses
 * a block itself when they are all busy. One worker fewer is ~20 MB less, and a tree of one block (most
 * apps) starts none. The buffers of a job (the block, and room for its output) go back and forth and are
 * used again, so the memory in play is a few blocks whatever the size of the tree.
 */
export class DeflatePool {
  private readonly workers: Worker[] = []
  private readonly busy = new Map<Worker, number>()
  private readonly jobs = new Map<number, Job>()
  private readonly spare: Uint8Array[] = []
  private readonly rooms: Uint8Array[] = []
  private nextId = 0
  private failure: Error | undefined

  constructor(
    private readonly threads: number,
    private readonly level: number,
    readonly blockSize: number
  ) {}

  /** A block buffer to fill: one that came back from a worker, or a new one. */
  take(): Uint8Array {
    return this.spare.pop() ?? new Uint8Array(new ArrayBuffer(this.blockSize))
  }

  /**
   * Compresses the first `length` bytes of `block` (taken from {@link take}; it moves to the worker and
   * comes back to the spares). `dictionary` is the uncompressed data just before it (it moves to the
   * worker too); `last` ends the stream.
   */
  deflate(block: Uint8Array, length: number, dictionary: Uint8Array | undefined, last: boolean): Promise<DeflatedBlock> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    // deflate's worst case over the input is a few bytes per 16 KiB.
    const room = this.rooms.pop() ?? new Uint8Array(new ArrayBuffer(this.blockSize + (this.blockSize >> 10) + 1024))
    const job = { id, block, room, length, dictionary: dictionary ?? null, last, level: this.level }
    const done = new Promise<DeflatedBlock>((resolve, reject) => this.jobs.set(id, { id, length, resolve, reject }))
    const worker = this.workerFor(last)
    if (!worker) {
      this.settle(undefined, compressJob(job))
      return done
    }
    this.busy.set(worker, (this.busy.get(worker) ?? 0) + 1)
    worker.postMessage(job, [block.buffer, room.buffer, ...(dictionary ? [dictionary.buffer as ArrayBuffer] : [])] as ArrayBuffer[])
    return done
  }

  /** Takes back the buffer of a block once it has been written. */
  recycle(block: DeflatedBlock): void {
    if (block.room) this.rooms.push(block.room)
  }

  /** Ends every thread; jobs still running reject with `reason` (a cancel unless told otherwise). */
  async close(reason: Error = new CancelledError()): Promise<void> {
    this.fail(reason)
    await Promise.all(this.workers.map((worker) => worker.terminate()))
    this.spare.length = 0
    this.rooms.length = 0
  }

  /** The threads started so far (for tests: each has threadId -1 once it has stopped). */
  get started(): readonly Worker[] {
    return this.workers
  }

  /**
   * An idle worker; else a new one while there are fewer than `threads - 1`; else none, and this thread
   * compresses the block itself rather than queue it (the last block too: nothing is left to read).
   */
  private workerFor(last: boolean): Worker | undefined {
    const idle = this.workers.find((worker) => (this.busy.get(worker) ?? 0) === 0)
    if (idle) return idle
    if (!last && this.workers.length < this.threads - 1) return this.spawn()
    return undefined
  }

  private spawn(): Worker {
    // Each call to zlib leaves a little garbage: a young generation of 1 MB collects it before it grows to
    // the default's 16 (measured: ~6 MB less per thread at 1 GiB of source, no slower).
    const worker = new Worker(new URL('./deflate-worker.mjs', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 1 } })
    worker.on('message', (reply: DeflateReply) => this.settle(worker, reply))
    worker.on('error', (error) => this.fail(new Error(`a packaging thread failed: ${error.message}`)))
    worker.on('exit', (code) => {
      if (!this.failure) this.fail(new Error(`a packaging thread stopped (exit ${code})`))
    })
    this.workers.push(worker)
    return worker
  }

  private settle(worker: Worker | undefined, reply: DeflateReply): void {
    if (worker) this.busy.set(worker, (this.busy.get(worker) ?? 1) - 1)
    const job = this.jobs.get(reply.id)
    if (!job) return
    this.jobs.delete(reply.id)
    if (reply.block.byteLength === this.blockSize) this.spare.push(reply.block)
    if (reply.error !== undefined || reply.length === undefined) {
      this.rooms.push(reply.room)
      return job.reject(new Error(`compressing a block failed: ${reply.error ?? 'no output'}`))
    }
    const figures = { crc: reply.crc ?? 0, length: job.length, stored: reply.stored ?? false }
    if (!reply.spill) return job.resolve({ ...figures, output: reply.room.subarray(0, reply.length), room: reply.room })
    this.rooms.push(reply.room)
    job.resolve({ ...figures, output: reply.spill })
  }

  private fail(error: Error): void {
    this.failure ??= error
    for (const job of this.jobs.values()) job.reject(this.failure)
    this.jobs.clear()
  }
}

/**
 * Frees the memory behind `view` now rather than at the next garbage collection (a thread that allocates
 * little else collects rarely, and megabytes of read and compressed blocks would pile up meanwhile). Every
 * view of that memory goes with it: only for buffers nothing else reads.
 */
export function releaseBuffer(view: Uint8Array): void {
  try {
    // ES2024's ArrayBuffer.prototype.transfer (Node 21+); tsconfig's lib is ES2023.
    ;(view.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0)
  } catch {
    // not detachable (Node's shared pool): left to the garbage collector
  }
}
