/** One block to compress: it and its room move to the thread that compresses it, and come back. */
export interface DeflateJob {
  id: number
  block: Uint8Array
  /** Uncompressed bytes at the start of `block`. */
  length: number
  /** Where the output goes (deflate's worst case fits). */
  room: Uint8Array
  /** The 32 KiB before the block, or null for the first. */
  dictionary: Uint8Array | null
  last: boolean
  level: number
}

export interface DeflateReply {
  id: number
  block: Uint8Array
  room: Uint8Array
  /** The output, when it did not fit in the room (never expected). */
  spill?: Uint8Array
  length?: number
  crc?: number
  stored?: boolean
  error?: string
}

export function compressJob(job: DeflateJob): DeflateReply
