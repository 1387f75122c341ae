import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { createSourceArchive } from '../../src/prepare/archive.js'
import { uploadSource } from '../../src/prepare/upload.js'
import { makeRepo, type Repo } from '../../scripts/lib/git-repo.js'
import { scriptedServer } from '../fakes/http.js'

let repo: Repo
let sha: string
let temp: string

beforeAll(() => {
  repo = makeRepo()
  repo.write('README.md', 'root\n')
  repo.write('apps/web/Procfile', 'web: node server.js\n')
  repo.write('apps/web/server.js', 'console.log(1)\n')
  repo.write('.gitignore', 'secret.env\n')
  sha = repo.commit('first')
  repo.write('apps/web/untracked.txt', 'not committed\n')
  repo.write('secret.env', 'TOKEN=x\n')
  temp = fs.mkdtempSync(path.join(os.tmpdir(), 'source-test-'))
})
afterAll(() => {
  repo.remove()
  fs.rmSync(temp, { recursive: true, force: true })
})

function listTar(file: string): string[] {
  return execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()
}

test('packs only the committed files of the commit, gzipped, with its SHA-256 and size', async () => {
  const archive = await createSourceArchive({ sourceDir: repo.dir, sha, tempDir: temp })
  expect(listTar(archive.path)).toEqual(['.gitignore', 'README.md', 'apps/', 'apps/web/', 'apps/web/Procfile', 'apps/web/server.js'])
  const bytes = fs.readFileSync(archive.path)
  expect(archive.bytes).toBe(bytes.length)
  expect(archive.sha256).toBe(createHash('sha256').update(bytes).digest('hex'))
})

test('a source-dir is packed with its files at the root of the archive', async () => {
  const archive = await createSourceArchive({ sourceDir: path.join(repo.dir, 'apps', 'web'), sha, tempDir: temp })
  expect(listTar(archive.path)).toEqual(['Procfile', 'server.js'])
})

test('a commit that is not in the repository is a clear packaging error', async () => {
  await expect(createSourceArchive({ sourceDir: repo.dir, sha: 'f'.repeat(40), tempDir: temp })).rejects.toMatchObject({
    stage: 'package',
    message: expect.stringContaining(`The commit ${'f'.repeat(40)} is not in the repository`)
  })
})

test('a folder with nothing committed is named', async () => {
  fs.mkdirSync(path.join(repo.dir, 'empty'))
  await expect(createSourceArchive({ sourceDir: path.join(repo.dir, 'empty'), sha, tempDir: temp })).rejects.toThrow(
    `The folder 'empty' has no committed files at ${sha.slice(0, 7)}`
  )
})

test('the upload is a PUT with Content-Length, an empty Content-Type, no credentials, retried on 503', async () => {
  const archive = await createSourceArchive({ sourceDir: repo.dir, sha, tempDir: temp })
  const server = await scriptedServer((_req, res, count) => void res.writeHead(count === 1 ? 503 : 200).end())
  const retries: string[] = []
  await uploadSource(archive, `${server.url}/blobs/1?sig=secret-signature`, { onRetry: (m) => retries.push(m) })
  const put = server.received[1]
  expect(put.method).toBe('PUT')
  expect(put.headers['content-length']).toBe(String(archive.bytes))
  expect(put.headers['content-type']).toBe('')
  expect(put.headers['transfer-encoding']).toBeUndefined()
  expect(put.headers.authorization).toBeUndefined()
  expect(put.body.equals(fs.readFileSync(archive.path))).toBe(true)
  expect(retries).toHaveLength(1)
  expect(retries[0]).not.toContain('secret-signature')
  await server.close()
})

test('a tarball bigger than the upload buffers arrives whole and in order', async () => {
  const file = path.join(temp, 'big.tar.gz')
  const bytes = randomBytes(2 * 1024 * 1024 + 12_345)
  fs.writeFileSync(file, bytes)
  const server = await scriptedServer((_req, res) => void res.writeHead(200).end())
  await uploadSource({ path: file, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }, `${server.url}/put`)
  expect(server.received[0].headers['content-length']).toBe(String(bytes.length))
  expect(server.received[0].body.equals(bytes)).toBe(true)
  await server.close()
})

test('a refused upload fails with the store message and is not retried', async () => {
  const archive = await createSourceArchive({ sourceDir: repo.dir, sha, tempDir: temp })
  const server = await scriptedServer(
    (_req, res) => void res.writeHead(403).end('<Error><Code>SignatureDoesNotMatch</Code><Message>The signature does not match</Message></Error>')
  )
  await expect(uploadSource(archive, `${server.url}/put`)).rejects.toThrow(/answered 403: The signature does not match/)
  expect(server.received).toHaveLength(1)
  await server.close()
})
