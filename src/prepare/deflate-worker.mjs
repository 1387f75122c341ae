// The compression of the packaging pool (./deflate-pool.ts), run in its worker threads and, for its share of
// the blocks, in the main thread. Plain JavaScript with built-ins only: the bundler copies this file next to
// dist/index.js as it is, and Node starts it as a worker thread (the main thread imports compressJob).
//
// Each message is one block of the tar stream. The block is compressed on its own (primed with the 32 KiB
// before it, as pigz does, so back-references still reach across the cut) into raw deflate that ends on a
// byte boundary: non-final blocks with a sync flush, the last one with the final bit. Laid end to end,
// the blocks are one ordinary deflate stream, so the gzip file has a single member any gunzip reads.
//
// Memory: both buffers of a job (the block, and room for its output) come from the pool and go back to it;
// zlib's own output buffer is copied into the room and freed at once (ArrayBuffer.prototype.transfer), as
// is the dictionary. A thread that allocates little else collects garbage rarely: 1 MiB buffers waiting for
// that would pile up to tens of MB per thread, and buffers freed by another thread fragment this one's heap.
import { parentPort } from 'node:worker_threads'
import { constants, crc32, deflateRawSync } from 'node:zlib'

// Three 4 KiB probes at level 1 tell a block of already-compressed bytes (images, archives, fonts) from
// one worth compressing; such blocks are stored, at memory speed, instead of searched for matches that
// are not there (zlib crawls through random bytes at ~35 MB/s whatever the level).
const PROBE = 4096
const INCOMPRESSIBLE = 0.97

/** @param {Uint8Array} buffer */
function release(buffer) {
  try {
    buffer.buffer.transfer(0)
  } catch {
    // not detachable (a view of Node's shared pool): left to the garbage collector
  }
}

/** @param {Uint8Array} block */
function looksIncompressible(block) {
  if (block.length < 4 * PROBE) return false
  for (const at of [0, (block.length - PROBE) >> 1, block.length - PROBE]) {
    // A 4 KiB window is all a 4 KiB probe needs, and keeps zlib's state for it small (~20 KiB, not ~300).
    const probe = deflateRawSync(block.subarray(at, at + PROBE), { level: 1, windowBits: 12, memLevel: 5, chunkSize: 2 * PROBE })
    const size = probe.length
    release(probe)
    if (size < PROBE * INCOMPRESSIBLE) return false
  }
  return true
}

/**
 * @param {import('./deflate-worker.d.mts').DeflateJob} job
 * @returns {{ output: Uint8Array, crc: number, stored: boolean }}
 */
function deflateBlock({ block, length, dictionary, last, level }) {
  const input = block.subarray(0, length)
  const stored = looksIncompressible(input)
  const output = deflateRawSync(input, {
    level: stored ? 0 : level,
    finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
    // Room for the whole output (deflate's worst case is a few bytes per 16 KiB over the input): zlib then
    // writes it into one buffer of its own (64 KiB at least: smaller ones come from Node's shared pool,
    // which cannot move) and hands back a view of it, with no concatenated copy.
    chunkSize: Math.max(64 * 1024, length + (length >> 10) + 1024),
    ...(dictionary && !stored ? { dictionary } : {})
  })
  return { output, crc: crc32(input), stored }
}

/**
 * Compresses a job's block into its room: what goes back to the pool (the block and the room, to be used
 * again, with the output's length, CRC-32 and whether it was stored).
 * @param {import('./deflate-worker.d.mts').DeflateJob} job
 * @returns {import('./deflate-worker.d.mts').DeflateReply}
 */
export function compressJob(job) {
  const { id, block, room, dictionary } = job
  try {
    const { output, crc, stored } = deflateBlock(job)
    if (dictionary) release(dictionary)
    const length = output.length
    if (length > room.length) {
      // Never expected (the room has deflate's worst case): the output goes as a copy of its own.
      return { id, block, room, spill: new Uint8Array(output), length, crc, stored }
    }
    room.set(output)
    release(output)
    return { id, block, room, length, crc, stored }
  } catch (error) {
    return { id, block, room, error: error instanceof Error ? error.message : String(error) }
  }
}

parentPort?.on('message', (job) => {
  const reply = compressJob(job)
  parentPort?.postMessage(reply, [reply.block.buffer, reply.room.buffer])
})
