import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { createConnection, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { baseEnv, hasExited, spawnGroup, stopGroup } from './processes.js'
import { type Slug, unpackSlug } from './slugs.js'

export type DynoState = 'starting' | 'up' | 'crashed' | 'down'

export interface DynoOptions {
  appName: string
  /** e.g. web.1 */
  name: string
  command: string
  slug: Slug
  /** Fresh directory the slug is unpacked into. */
  dir: string
  /** Config vars and release variables; PORT and DYNO are added here. */
  env: Record<string, string>
  release: { id: string; version: number }
  log: (line: string) => void
  shutdown: AbortSignal
  bootTimeoutMs?: number
}

const BOOT_TIMEOUT_MS = 15_000

/** A web process of one release, listening on its own local port. */
export class Dyno {
  readonly id = randomUUID()
  readonly createdAt = new Date()
  updatedAt = new Date()
  state: DynoState = 'starting'
  private stopping?: Promise<void>

  private constructor(
    readonly options: DynoOptions,
    readonly port: number,
    private readonly child: ChildProcess
  ) {
    child.once('exit', (code, signal) => {
      if (this.state === 'down') return
      this.log(`Process exited with status ${code ?? signal}`)
      this.setState('crashed')
    })
  }

  /**
   * Unpacks the slug, runs the command with PORT set and waits until the port accepts connections.
   * A dyno that exits or never listens within the boot timeout comes back `crashed` (Heroku's R10/H10).
   */
  static async start(options: DynoOptions): Promise<Dyno> {
    await unpackSlug(options.slug, options.dir)
    const port = await freePort()
    const env = { ...baseEnv(), ...options.env, PORT: String(port), DYNO: options.name }
    const prefix = `${options.appName} app[${options.name}]:`
    const child = spawnGroup('sh', ['-c', options.command], { cwd: options.dir, env, onLine: (line) => options.log(`${prefix} ${line}`) })
    const dyno = new Dyno(options, port, child)
    dyno.log(`Starting process with command \`${options.command}\``)
    const listening = await waitForPort(port, child, options.bootTimeoutMs ?? BOOT_TIMEOUT_MS, options.shutdown)
    if (listening && dyno.state === 'starting') {
      dyno.setState('up')
    } else if (dyno.state === 'starting') {
      dyno.log(`Error R10 (Boot timeout) -> Web process failed to bind to $PORT within ${(options.bootTimeoutMs ?? BOOT_TIMEOUT_MS) / 1000} seconds of launch`)
      dyno.setState('crashed')
      await dyno.stop()
    }
    return dyno
  }

  get serving(): boolean {
    return this.state === 'up' && !hasExited(this.child)
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  /** SIGTERM, SIGKILL after 3 s; removes the dyno's directory. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const crashed = this.state === 'crashed'
      this.setState('down')
      if (!crashed) this.log('Stopping all processes with SIGTERM')
      await stopGroup(this.child)
      await rm(this.options.dir, { recursive: true, force: true })
    })()
    return this.stopping
  }

  private setState(state: DynoState): void {
    if (state !== this.state) this.log(`State changed from ${this.state} to ${state}`)
    this.state = state
    this.updatedAt = new Date()
  }

  private log(message: string): void {
    this.options.log(`${this.options.appName} heroku[${this.options.name}]: ${message}`)
  }
}

/** A port nothing listens on right now (the dyno binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number, shutdown: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && !hasExited(child) && !shutdown.aborted) {
    if (await accepts(port)) return true
    await sleep(50)
  }
  return false
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}
