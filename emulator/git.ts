import { spawn, execFileSync } from 'node:child_process'
import { chmodSync, existsSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO_PATH = /^\/([a-z][a-z0-9-]*)\.git(\/.*)?$/
const HOOK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'git-hook.mjs')

/**
 * Heroku's git endpoint: `<HEROKU_GIT_URL>/<app>.git` over smart HTTP, served by `git http-backend`
 * (a CGI) from a bare repository per app. Basic auth with the API key as the password. The bare
 * repository's pre-receive hook plays Heroku's builder: it builds the pushed commit through this
 * emulator's own Sources and Builds API and declines the push when the build fails.
 */
export class GitEndpoint {
  constructor(
    private readonly root: string,
    private readonly apiKey: string,
    private readonly apiUrl: string,
    private readonly appExists: (name: string) => boolean
  ) {}

  handles(pathname: string): boolean {
    return REPO_PATH.test(pathname)
  }

  /** The bare repository of an app (created on first use). */
  repository(app: string): string {
    const dir = path.join(this.root, `${app}.git`)
    if (!existsSync(dir)) {
      execFileSync('git', ['init', '-q', '--bare', '-b', 'main', dir])
      execFileSync('git', ['-C', dir, 'config', 'http.receivepack', 'true'])
      const hook = path.join(dir, 'hooks', 'pre-receive')
      writeFileSync(hook, `#!/bin/sh\nexec "${process.execPath}" "${HOOK}"\n`)
      chmodSync(hook, 0o755)
    }
    return dir
  }

  serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const [, app, rest = '/'] = REPO_PATH.exec(url.pathname) ?? []
    if (!this.appExists(app)) return end(res, 404, `Repository not found: no app named ${app}.\n`)
    const user = this.authorized(req.headers.authorization)
    if (user === undefined) {
      res.setHeader('WWW-Authenticate', 'Basic realm="Heroku"')
      return end(res, 401, 'Invalid credentials provided.\n')
    }
    this.repository(app)
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        GIT_PROJECT_ROOT: this.root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: `/${app}.git${rest}`,
        REQUEST_METHOD: req.method ?? 'GET',
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_USER: user,
        REMOTE_ADDR: '127.0.0.1',
        // For the pre-receive hook: where and how to build.
        HEROKU_EMULATOR_API: this.apiUrl,
        HEROKU_EMULATOR_KEY: this.apiKey,
        HEROKU_EMULATOR_APP: app
      },
      stdio: ['pipe', 'pipe', 'ignore']
    })
    req.pipe(child.stdin)
    return relayCgi(child.stdout, res, new Promise((resolve) => child.on('close', resolve)))
  }

  private authorized(header: string | undefined): string | undefined {
    const encoded = /^Basic\s+(\S+)$/i.exec(header ?? '')?.[1]
    if (!encoded) return undefined
    const decoded = Buffer.from(encoded, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    return colon >= 0 && decoded.slice(colon + 1) === this.apiKey ? decoded.slice(0, colon) || 'heroku' : undefined
  }
}

/** Turns the CGI's "Header: value" block into the HTTP response head, then streams the body. */
function relayCgi(stdout: NodeJS.ReadableStream, res: ServerResponse, exited: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    let head = Buffer.alloc(0)
    let started = false
    stdout.on('data', (chunk: Buffer) => {
      if (started) return void res.write(chunk)
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      started = true
      let status = 200
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const [name, ...value] = line.split(':')
        if (/^status$/i.test(name)) status = Number.parseInt(value.join(':'), 10)
        else res.setHeader(name.trim(), value.join(':').trim())
      }
      res.writeHead(status)
      res.write(head.subarray(end + 4))
    })
    stdout.on('end', () => {
      if (!started) res.writeHead(500).end('git http-backend failed\n')
      else res.end()
      void exited.then(() => resolve())
    })
  })
}

function end(res: ServerResponse, status: number, text: string): Promise<void> {
  res.writeHead(status, { 'Content-Type': 'text/plain' }).end(text)
  return Promise.resolve()
}
