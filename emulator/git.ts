import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { AppRegistry, AppState, BuildRecord } from './apps.js'
import { presentsKey } from './auth.js'
import { createBuild } from './builds.js'
import type { EmulatorContext } from './context.js'
import { ApiError } from './errors.js'

const HOOK_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'git-hook.cjs')
const REPO_PATH = /^\/([^/]+)\.git(\/.*)?$/

/** Where an app's bare repository lives. */
export function gitRepoDir(workDir: string, app: string): string {
  return path.join(workDir, 'git', `${app}.git`)
}

/** The commit a branch of an app's git remote points at; undefined before the first push. */
export function gitBranchOf(workDir: string, app: string, branch = 'main'): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], {
      cwd: gitRepoDir(workDir, app),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore']
    }).trim()
  } catch {
    return undefined
  }
}

/**
 * Heroku's git remote, `<apiUrl>/<app>.git`: `git http-backend` run as a CGI per request (smart HTTP,
 * both directions streamed), behind Basic auth whose password must be the API key. Each app's bare
 * repository refuses shallow updates (git's default, as Heroku does) and has a pre-receive hook
 * (git-hook.cjs) that builds a push to main/master through the same build and release path as
 * POST /apps/{app}/builds, via a hook endpoint on its own loopback port that only the hook knows.
 */
export class GitRemote {
  private readonly token = randomBytes(16).toString('hex')
  private readonly children = new Set<ChildProcess>()
  private readonly ready = new Map<string, Promise<string>>()

  private constructor(
    private readonly apps: AppRegistry,
    private readonly ctx: EmulatorContext,
    private readonly apiKey: string,
    private readonly hooks: Server,
    private readonly hooksUrl: string
  ) {}

  static async start(apps: AppRegistry, ctx: EmulatorContext, apiKey: string): Promise<GitRemote> {
    const hooks = createServer()
    await new Promise<void>((resolve, reject) => hooks.once('error', reject).listen(0, '127.0.0.1', resolve))
    const remote = new GitRemote(apps, ctx, apiKey, hooks, `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`)
    hooks.on('request', (req, res) => {
      remote.serveHook(req, res).catch((error) => {
        ctx.log(`git hook endpoint: ${error instanceof Error ? error.message : String(error)}`)
        if (!res.headersSent) plain(res, 500, 'Internal error\n')
        else res.destroy()
      })
    })
    return remote
  }

  handles(pathname: string): boolean {
    return REPO_PATH.test(pathname)
  }

  /** One smart-HTTP request: info/refs, git-upload-pack or git-receive-pack. */
  async serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!presentsKey(req.headers.authorization, this.apiKey)) {
      req.resume()
      res.setHeader('WWW-Authenticate', 'Basic realm="Heroku"')
      return plain(res, 401, 'Unauthorized\n')
    }
    const name = decodeURIComponent(REPO_PATH.exec(url.pathname)?.[1] ?? '')
    let app: AppState
    try {
      app = this.apps.find(name)
    } catch {
      req.resume()
      return plain(res, 404, ` !  No such app as ${name}.\n`)
    }
    await this.repoOf(app)
    await this.runBackend(req, res, url, app)
  }

  /** Stops the hook endpoint and any backend still running. */
  async close(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL')
    this.hooks.closeAllConnections()
    await new Promise((resolve) => this.hooks.close(resolve))
  }

  /** The app's bare repository, made on first use, with the hook installed. */
  private repoOf(app: AppState): Promise<string> {
    let ready = this.ready.get(app.name)
    if (!ready) {
      ready = this.createRepo(app.name)
      this.ready.set(app.name, ready)
    }
    return ready
  }

  private async createRepo(name: string): Promise<string> {
    const dir = gitRepoDir(this.ctx.workDir, name)
    await mkdir(path.dirname(dir), { recursive: true })
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir], { env: gitEnv() })
    const hook = path.join(dir, 'hooks', 'pre-receive')
    await writeFile(hook, `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(HOOK_SCRIPT)}\n`)
    await chmod(hook, 0o755)
    this.ctx.log(`git: repository for ${name} at ${dir}`)
    return dir
  }

  private runBackend(req: IncomingMessage, res: ServerResponse, url: URL, app: AppState): Promise<void> {
    const header = (name: string) => {
      const value = req.headers[name]
      return Array.isArray(value) ? value.join(', ') : (value ?? '')
    }
    const env: Record<string, string> = {
      ...gitEnv(),
      GIT_PROJECT_ROOT: path.join(this.ctx.workDir, 'git'),
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: url.pathname,
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: header('content-type'),
      HTTP_CONTENT_ENCODING: header('content-encoding'),
      GIT_PROTOCOL: header('git-protocol'),
      REMOTE_USER: 'heroku',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      HEROKU_EMULATOR_HOOKS: this.hooksUrl,
      HEROKU_EMULATOR_TOKEN: this.token,
      HEROKU_EMULATOR_APP: app.name
    }
    if (req.headers['content-length'] !== undefined) env.CONTENT_LENGTH = header('content-length')

    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    this.children.add(child)
    child.stderr.on('data', (chunk: Buffer) => this.ctx.log(`git http-backend (${app.name}): ${chunk.toString().trim()}`))
    child.stdin.on('error', () => undefined) // the backend may answer before it read the whole body
    req.pipe(child.stdin)
    // A client gone before it sent the whole request leaves the backend waiting for it: stopped. A push
    // received in full is carried out to the end, as Heroku's is (build, release and main updated)
    // whatever becomes of the pusher; what it would say is dropped.
    res.on('close', () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      if (!req.complete) return void child.kill('SIGTERM')
      child.stdout.unpipe(res)
      child.stdout.resume()
    })

    return new Promise<void>((resolve, reject) => {
      let head = Buffer.alloc(0)
      let answered = false
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk])
        const end = headerEnd(head)
        if (end === undefined) return
        answered = true
        child.stdout.off('data', onData)
        if (res.destroyed) return void child.stdout.resume() // the client is gone: nobody to answer
        const { status, headers } = parseCgiHead(head.subarray(0, end.at).toString('latin1'))
        res.writeHead(status, headers)
        res.write(head.subarray(end.at + end.length))
        child.stdout.pipe(res)
      }
      child.stdout.on('data', onData)
      child.on('error', reject)
      child.on('close', (code) => {
        this.children.delete(child)
        if (!answered) {
          if (!res.headersSent) plain(res, 500, `git http-backend exited with code ${code} before answering\n`)
          else res.end()
        }
        resolve()
      })
    })
  }

  /** POST /apps/{app}/builds?version=<sha> from the hook: the pushed tarball in, the build output out. */
  private async serveHook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const name = /^\/apps\/([^/]+)\/builds$/.exec(url.pathname)?.[1]
    if (req.headers['x-emulator-token'] !== this.token || req.method !== 'POST' || !name) {
      req.resume()
      return plain(res, 403, 'Forbidden\n')
    }
    const app = this.apps.find(decodeURIComponent(name))
    const version = url.searchParams.get('version')
    const source = await this.ctx.blobs.store(req)
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', Trailer: 'X-Build-Status' })
    let build: BuildRecord
    try {
      build = createBuild(app, { source_blob: { url: source.get_url, version, checksum: `SHA256:${source.sha256}` } }, this.ctx)
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      res.write(` !     ${error.message}\n`)
      res.addTrailers({ 'X-Build-Status': 'failed' })
      return void res.end()
    }
    this.ctx.log(`git: ${app.name} builds ${version?.slice(0, 8)} (build ${build.id})`)
    await build.log.relayTo(res)
    while (build.status === 'pending' && !this.ctx.shutdown.aborted) await sleep(25)
    res.addTrailers({ 'X-Build-Status': build.status })
    res.end()
  }
}

/** Neither the user's nor the system's git configuration changes how the remote behaves. */
function gitEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LANG: 'C' }
}

function headerEnd(buffer: Buffer): { at: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n')
  const lf = buffer.indexOf('\n\n')
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, length: 4 }
  return lf >= 0 ? { at: lf, length: 2 } : undefined
}

/** The CGI response head: `Status: 404 Not Found` sets the status, the other lines are headers. */
export function parseCgiHead(text: string): { status: number; headers: Record<string, string> } {
  let status = 200
  const headers: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim()
    const value = line.slice(colon + 1).trim()
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500
    else headers[name] = value
  }
  return { status, headers }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

/** An injected failure on a git URL: plain text, as a git host's front end answers. */
export function failGit(req: IncomingMessage, res: ServerResponse, status: number): void {
  req.resume()
  plain(res, status, `${STATUS_CODES[status] ?? 'Error'}\n`)
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}
