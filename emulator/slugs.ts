import { cp, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import * as path from 'node:path'
import { run } from './processes.js'

/** A compiled app, ready to run in dynos. Heroku keeps it as a tarball; the emulator keeps the directory. */
export interface Slug {
  id: string
  dir: string
  /** source_blob.version of the build that made it: the commit a git push or an API build names (HEROKU_SLUG_COMMIT). */
  commit: string | null
  /** The stack of the app that built it: it runs only there. */
  stack: string
  /** source_blob.version_description of the build. */
  commitDescription: string | null
  createdAt: Date
  processTypes: ProcessTypes
  size: number
  buildpackDescription: string | null
}

export interface ProcessTypes {
  web?: string
  release?: string
  [type: string]: string | undefined
}

export interface PackageJson {
  dependencies?: Record<string, string>
  scripts?: Record<string, string>
}

/** Unpacks a tar.gz; a single top-level directory (GitHub archives) is hoisted to the root. */
export async function extractSource(tarball: string, dir: string, signal: AbortSignal): Promise<void> {
  const errors: string[] = []
  await mkdir(dir, { recursive: true })
  const code = await run('tar', ['xzf', tarball, '-C', dir], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '' },
    onLine: (line) => errors.push(line),
    signal
  })
  if (code !== 0) throw new Error(`tar exited with code ${code}${errors.length ? `: ${errors.join(' ')}` : ''}`)
  const entries = await readdir(dir, { withFileTypes: true })
  const only = entries[0]
  if (entries.length === 1 && only?.isDirectory()) {
    const wrapper = `${dir}.wrapper`
    await rename(dir, wrapper)
    await rename(path.join(wrapper, only.name), dir)
    await rm(wrapper, { recursive: true, force: true })
  }
}

export async function readPackageJson(dir: string): Promise<PackageJson | undefined> {
  const text = await readFile(path.join(dir, 'package.json'), 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  const parsed: unknown = JSON.parse(text)
  return typeof parsed === 'object' && parsed !== null ? parsed : {}
}

/** The process types a Procfile declares (`web: node server.js` → {web: 'node server.js'}). */
export async function readProcfile(dir: string): Promise<ProcessTypes> {
  const procfile = await readFile(path.join(dir, 'Procfile'), 'utf8').catch(() => '')
  const types: ProcessTypes = {}
  for (const line of procfile.split(/\r?\n/)) {
    const match = /^([A-Za-z0-9_-]+):\s*(.+?)\s*$/.exec(line)
    if (match) types[match[1]] = match[2]
  }
  return types
}

export async function directorySize(dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size
  }
  return total
}

/** Heroku's "Done: 12.3M" style. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}K`
  return `${(bytes / 1024 / 1024).toFixed(1)}M`
}

/** Every dyno (web or one-off) gets a fresh copy of the slug, so what one writes no other sees. */
export async function unpackSlug(slug: Slug, dir: string): Promise<void> {
  await cp(slug.dir, dir, { recursive: true, verbatimSymlinks: true })
}
