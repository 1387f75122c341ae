import { createHash, randomUUID } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { DeployError } from '../errors.js'
import { exitOf, locateCommit, spawnGit } from '../util/git.js'

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

  const git = spawnGit(['archive', '--format=tar', treeish], { cwd: root, signal })
  let stderr = ''
  git.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)))
  const exited = exitOf(git)
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

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}
