/** Shared by the emulator's tests: a tiny Platform API client over fetch, tarballs of hello-app, a deploy. */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Build, Release } from '@heroku-cli/schema'
import type { Emulator } from '../../emulator/index.js'

export const API_KEY = 'test-api-key-0123456789'
export const ACCEPT = 'application/vnd.heroku+json; version=3'

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const HELLO_APP = path.join(projectRoot, 'examples', 'hello-app')

export interface Answer<T = unknown> {
  status: number
  headers: Headers
  text: string
  json: T
}

/** A Platform API call with the standard headers (override or drop them with `headers`). */
export async function api<T = unknown>(
  emulator: Emulator,
  method: string,
  pathname: string,
  options: { body?: unknown; headers?: Record<string, string | undefined> } = {}
): Promise<Answer<T>> {
  const headers: Record<string, string> = {}
  const wanted = { Accept: ACCEPT, Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json', ...options.headers }
  for (const [name, value] of Object.entries(wanted)) if (value !== undefined) headers[name] = value
  const response = await fetch(`${emulator.apiUrl}${pathname}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  })
  return answer<T>(response)
}

/** A plain GET (dyno through the router, blob, stream). */
export async function get(url: string, headers: Record<string, string> = {}): Promise<Answer<undefined>> {
  return answer(await fetch(url, { headers }))
}

async function answer<T>(response: Response): Promise<Answer<T>> {
  const text = await response.text()
  let json: unknown
  try {
    json = text ? JSON.parse(text) : undefined
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json: json as T }
}

/** Temp dirs made by the helpers; removed by `removeTempDirs()` in afterAll. */
const tempDirs: string[] = []

export function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'emulator-test-'))
  tempDirs.push(dir)
  return dir
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export interface Tarball {
  file: string
  bytes: Buffer
  checksum: string
}

/**
 * A tar.gz of a copy of examples/hello-app (files at the archive root), with `changes` applied:
 * a string replaces a file's content, null deletes it.
 */
export function helloAppTarball(changes: Record<string, string | null> = {}): Tarball {
  const dir = tempDir()
  const app = path.join(dir, 'app')
  cpSync(HELLO_APP, app, { recursive: true })
  for (const [file, content] of Object.entries(changes)) {
    if (content === null) rmSync(path.join(app, file), { force: true })
    else writeFileSync(path.join(app, file), content)
  }
  const file = path.join(dir, 'app.tgz')
  execFileSync('tar', ['czf', file, '-C', app, '.'])
  const bytes = readFileSync(file)
  return { file, bytes, checksum: `SHA256:${createHash('sha256').update(bytes).digest('hex')}` }
}

/** hello-app's package.json with its scripts replaced. */
export function packageJson(scripts: Record<string, string>): string {
  return JSON.stringify({ name: 'hello-app', version: '1.0.0', private: true, scripts })
}

/** POST /sources and PUT the bytes the way the action must: empty Content-Type, Content-Length set. */
export async function upload(emulator: Emulator, bytes: Buffer): Promise<string> {
  const source = await api<{ source_blob: { get_url: string; put_url: string } }>(emulator, 'POST', '/sources')
  const put = await fetch(source.json.source_blob.put_url, { method: 'PUT', body: bytes, headers: { 'Content-Type': '' } })
  await put.arrayBuffer()
  if (put.status !== 200) throw new Error(`upload failed: ${put.status}`)
  return source.json.source_blob.get_url
}

export async function createBuild(emulator: Emulator, app: string, tarball: Tarball, version = 'c0ffee0123456789abcdef'): Promise<Build> {
  const url = await upload(emulator, tarball.bytes)
  const created = await api<Build>(emulator, 'POST', `/apps/${app}/builds`, {
    body: { source_blob: { url, version, checksum: tarball.checksum } }
  })
  if (created.status !== 201) throw new Error(`build create answered ${created.status}: ${created.text}`)
  return created.json
}

/** Reads an output stream to its end, retrying while it answers 404 (not started yet). */
export async function readStream(url: string, headers: Record<string, string> = {}): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const response = await get(url, headers)
    if (response.status !== 404) return response.text
    await sleep(50)
  }
  throw new Error(`stream ${url} kept answering 404`)
}

export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(value)}`)
    await sleep(50)
  }
}

export const getBuild = async (emulator: Emulator, app: string, id: string) => (await api<Build>(emulator, 'GET', `/apps/${app}/builds/${id}`)).json
export const getRelease = async (emulator: Emulator, app: string, id: string) => (await api<Release>(emulator, 'GET', `/apps/${app}/releases/${id}`)).json

export interface Deploy {
  build: Build
  release?: Release
  buildOutput: string
  releaseOutput?: string
}

/** The whole source-blob deploy a client makes (reference §0): upload, build, stream, poll, release phase. */
export async function deploy(emulator: Emulator, app: string, tarball: Tarball, version?: string): Promise<Deploy> {
  const created = await createBuild(emulator, app, tarball, version)
  const buildOutput = await readStream(created.output_stream_url as string)
  const build = await pollUntil(
    () => getBuild(emulator, app, created.id),
    (b) => b.status !== 'pending'
  )
  const releaseId = build.release?.id
  if (!releaseId) return { build, buildOutput }
  const pending = await getRelease(emulator, app, releaseId)
  const releaseOutput = pending.output_stream_url ? await readStream(pending.output_stream_url) : undefined
  const release = await pollUntil(
    () => getRelease(emulator, app, releaseId),
    (r) => r.status !== 'pending'
  )
  return { build, release, buildOutput, releaseOutput }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Whether a process is still running; a zombie (dead, not yet reaped) counts as gone. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true
  }
}
