/** The frame of a single-member gzip file (RFC 1952) around a raw deflate stream made in blocks. */

/** ID1 ID2 CM=deflate FLG=0 MTIME=0 (the same bytes for the same tree) XFL OS=Unix. */
export function gzipHeader(level: number): Buffer {
  const xfl = level === 1 ? 4 : level === 9 ? 2 : 0
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3])
}

/** CRC-32 and size (mod 2^32) of the uncompressed data, little-endian. */
export function gzipTrailer(crc: number, size: number): Buffer {
  const trailer = Buffer.alloc(8)
  trailer.writeUInt32LE(crc >>> 0, 0)
  trailer.writeUInt32LE(size % 2 ** 32, 4)
  return trailer
}

// CRC-32 of two pieces from the CRC-32 of each, as zlib's crc32_combine() does (polynomial
// arithmetic modulo the CRC polynomial, reflected), so each block's CRC is computed in its own thread.
const POLY = 0xedb88320

/** a(x) * b(x) modulo p(x), reflected. */
function multiplyModP(a: number, b: number): number {
  let m = 1 << 31
  let p = 0
  for (;;) {
    if (a & m) {
      p ^= b
      if ((a & (m - 1)) === 0) break
    }
    m >>>= 1
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1
  }
  return p >>> 0
}

/** x^(2^k) modulo p(x), k = 0..31. */
const X2N = (() => {
  const table: number[] = []
  let p = 1 << 30 // x^1
  table.push(p >>> 0)
  for (let k = 1; k < 32; k++) table.push((p = multiplyModP(p, p)))
  return table
})()

/** x^(n * 2^k) modulo p(x). */
function xToTheNModP(n: number, k: number): number {
  let p = 1 << 31 // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multiplyModP(X2N[k & 31], p)
    n = Math.floor(n / 2)
    k++
  }
  return p >>> 0
}

/** The CRC-32 of A followed by B, from crc(A), crc(B) and the length of B. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multiplyModP(xToTheNModP(lengthB, 3), crcA) ^ crcB) >>> 0
}
