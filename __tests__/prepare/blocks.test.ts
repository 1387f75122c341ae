/**
 * The packaging past one thread: the tarball is gzipped in independent blocks on worker threads. These
 * tests read the result with the tools that will read it for real (GNU tar, gzip, Node's gunzip, the
 * emulator's builder, which unpacks with tar as Heroku's does), and check SHA-256, size, clean-up and
 * cancel. Small blocks make a small tree span many of them.
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { crc32, gunzipSync } from 'node:zlib'
import { startEmulator } from '../../emulator/index.js'
import { makeRepo, type Repo } from '../../scripts/lib/git-repo.js'
import { packageAhead } from '../../src/prepare/ahead.js'
import { createSourceArchive, type PackagingTuning } from '../../src/prepare/archive.js'
import type { DeflatePool } from '../../src/prepare/deflate-pool.js'
import { crc32Combine } from '../../src/prepare/gzip.js'
import { CancelledError } from '../../src/util/time.js'
import { API_KEY, deploy, HELLO_APP } from '../emulator/support.js'

const BLOCK = 64 * 1024
let repo: Repo
let sha: string
let temp: string

/** Code-like text: compresses, as source does. */
function text(lines: number, seed: string): string {
  return Array.from({ length: lines }, (_, n) => `export const value${n % 97} = compute('${seed}', ${n}) // line ${n} of ${seed}`).join('\n') + '\n'
}

beforeAll(() => {
  repo = makeRepo(HELLO_APP)
  for (let i = 0; i < 6; i++) repo.write(`lib/module-${i}.js`, text(3000, `m${i}`))
  // Incompressible (an image, an archive): stored rather than compressed, and still read back exactly.
  fs.mkdirSync(path.join(repo.dir, 'assets'))
  fs.writeFileSync(path.join(repo.dir, 'assets', 'photo.bin'), randomBytes(700 * 1024))
  repo.write('assets/empty.txt', '')
  sha = repo.commit('a tree of many blocks')
})
afterAll(() => repo.remove())
beforeEach(() => (temp = fs.mkdtempSync(path.join(os.tmpdir(), 'blocks-test-'))))
afterEach(() => fs.rmSync(temp, { recursive: true, force: true }))

const tuning = (more: Partial<PackagingTuning> = {}): Partial<PackagingTuning> => ({ blockSize: BLOCK, threads: 3, ...more })
const tarSize = () => execFileSync('git', ['archive', '--format=tar', `${sha}:`], { cwd: repo.dir, maxBuffer: 64 * 2 ** 20 }).length

test('a tarball of many blocks is one gzip member that gzip, tar and gunzip read back exactly', async () => {
  const archive = await createSourceArchive({ sourceDir: repo.dir, sha, tempDir: temp, tuning: tuning() })
  const bytes = fs.readFileSync(archive.path)
  expect(tarSize()).toBeGreaterThan(20 * BLOCK)

  execFileSync('gzip', ['--test', archive.path])
  // One member: the header once, and the trailer's CRC-32 and size are those of the whole tar.
  const tar = gunzipSync(bytes)
  expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0x1f, 0x8b, 8]))
  expect(bytes.readUInt32LE(bytes.length - 8)).toBe(crc32(tar))
  expect(bytes.readUInt32LE(bytes.length - 4)).toBe(tar.length)
  expect(tar.length).toBe(tarSize())

  const out = path.join(temp, 'out')
  fs.mkdirSync(out)
  execFileSync('tar', ['-xzf', archive.path, '-C', out])
  const files = execFileSync('git', ['ls-tree', '-r', '--name-only', sha], { cwd: repo.dir, encoding: 'utf8' }).trim().split('\n')
  expect(files.length).toBeGreaterThan(8)
  for (const file of files) {
    const committed = execFileSync('git', ['show', `${sha}:${file}`], { cwd: repo.dir, maxBuffer: 8 * 2 ** 20 })
    expect(fs.readFileSync(path.join(out, file)).equals(committed)).toBe(true)
  }
})

test('SHA-256 and size are those of the file; only the tarball is left in the temp folder', async () => {
  const archive = await createSourceArchive({ sourceDir: repo.dir, sha, tempDir: temp, tuning: tuning() })
  const bytes = fs.readFileSync(archive.path)
  expect(archive.bytes).toBe(bytes.length)
  expect(archive.sha256).toBe(createHash('sha256').update(bytes).digest('hex'))
  expect(fs.readdirSync(temp)).toEqual([path.basename(archive.path)])
})

test('every block and thread count gives the same tar; incompressible bytes cost no more than their size', async () => {
  const one = await createSourceArchive({ sourceDir: repo.dir, sha, tempDir: temp, tuning: tuning({ threads: 1, blockSize: 1024 * 1024 }) })
  const many = await createSourceArchive({ sourceDir: repo.dir, sha, tempDir: temp, tuning: tuning({ threads: 4, blockSize: 16 * 1024 }) })
  const tarOf = (file: string) => gunzipSync(fs.readFileSync(file))
  // git archive stamps a tree's entries with the time it runs: compare the file data, not the headers.
  expect(execFileSync('tar', ['-tvzf', one.path], { encoding: 'utf8' }).replace(/\d\d:\d\d/g, '')).toBe(
    execFileSync('tar', ['-tvzf', many.path], { encoding: 'utf8' }).replace(/\d\d:\d\d/g, '')
  )
  expect(tarOf(one.path).length).toBe(tarOf(many.path).length)
  // The 700 KiB of random bytes cost about 700 KiB, plus a few bytes a block.
  const randomOnly = makeRepo()
  fs.writeFileSync(path.join(randomOnly.dir, 'blob.bin'), randomBytes(8 * BLOCK))
  const blobSha = randomOnly.commit('random')
  try {
    const stored = await createSourceArchive({ sourceDir: randomOnly.dir, sha: blobSha, tempDir: temp, tuning: tuning() })
    const tarBytes = execFileSync('git', ['archive', '--format=tar', `${blobSha}:`], { cwd: randomOnly.dir }).length
    expect(stored.bytes).toBeLessThan(tarBytes * 1.01)
    expect(gunzipSync(fs.readFileSync(stored.path)).length).toBe(tarBytes)
  } finally {
    randomOnly.remove()
  }
})

test("the emulator's builder (real tar, as Heroku's) unpacks and runs an upload of many blocks", async () => {
  const archive = await createSourceArchive({ sourceDir: repo.dir, sha, tempDir: temp, tuning: tuning() })
  const emulator = await startEmulator({ apiKey: API_KEY, apps: ['hello-app'] })
  try {
    const bytes = fs.readFileSync(archive.path)
    const result = await deploy(emulator, 'hello-app', { file: archive.path, bytes, checksum: `SHA256:${archive.sha256}` }, sha)
    expect(result.build.status).toBe('succeeded')
    expect(result.buildOutput).toContain('Built hello-app with Node')
    expect(result.release?.status).toBe('succeeded')
  } finally {
    await emulator.close()
  }
})

test('a cancel while packaging stops git and every thread and leaves no file behind', async () => {
  const controller = new AbortController()
  let pool: DeflatePool | undefined
  const packing = createSourceArchive({
    sourceDir: repo.dir,
    sha,
    tempDir: temp,
    signal: controller.signal,
    // One block in flight at a time: the cancel lands while most of the tree is still to read.
    tuning: tuning({ blockSize: 16 * 1024, threads: 2, onPool: (started) => (pool = started) })
  })
  // Cancelled as soon as the first thread runs.
  await new Promise<void>((resolve) => {
    const look = () => ((pool?.started.length ?? 0) > 0 ? resolve() : setImmediate(look))
    look()
  })
  controller.abort()
  await expect(packing).rejects.toBeInstanceOf(CancelledError)
  expect(pool?.started.length).toBeGreaterThan(0)
  for (const worker of pool?.started ?? []) expect(worker.threadId).toBe(-1)
  expect(fs.readdirSync(temp)).toEqual([])
})

test('packaging ahead: dispose stops it and removes the tarball, whether it finished or not', async () => {
  const running = packageAhead({ sourceDir: repo.dir, sha, tempDir: temp, tuning: tuning({ blockSize: 16 * 1024 }) })
  await running.dispose()
  await expect(running.archive).rejects.toBeInstanceOf(CancelledError)
  expect(running.packaging()).toMatchObject({ stage: 'package', ok: false })
  expect(fs.readdirSync(temp)).toEqual([])

  const finished = packageAhead({ sourceDir: repo.dir, sha, tempDir: temp, tuning: tuning() })
  const archive = await finished.archive
  expect(fs.existsSync(archive.path)).toBe(true)
  expect(finished.packaging()).toMatchObject({ stage: 'package', ok: true })
  await finished.dispose()
  expect(fs.readdirSync(temp)).toEqual([])
})

test('the CRC-32 of two pieces combines from the CRC-32 of each', () => {
  for (const [a, b] of [
    [0, 0],
    [0, 7],
    [100, 0],
    [1, 1],
    [3, 65_537],
    [1024 * 1024, 1024 * 1024 + 13]
  ]) {
    const first = randomBytes(a)
    const second = randomBytes(b)
    expect(crc32Combine(crc32(first), crc32(second), b)).toBe(crc32(Buffer.concat([first, second])))
  }
})
