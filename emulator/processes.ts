import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { constants } from 'node:os'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Every child runs in its own process group: `sh -c` forks the real command, so signalling only the
 * shell would leave the command running. Groups are forgotten only once nothing in them is alive;
 * whatever is left when this process exits is killed.
 */
const groups = new Set<number>()
let exitHookInstalled = false

export interface SpawnOptions {
  cwd: string
  env: Record<string, string>
  /** Each line of stdout and stderr. */
  onLine: (line: string) => void
}

export function spawnGroup(command: string, args: string[], options: SpawnOptions): ChildProcess {
  installExitHook()
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  if (child.pid !== undefined) groups.add(child.pid)
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', options.onLine)
  }
  return child
}

/**
 * Runs a command to completion and resolves its exit code (128 + signal number when killed).
 * Anything it left running in the background is killed afterwards, as Heroku does after a build.
 */
export async function run(command: string, args: string[], options: SpawnOptions & { signal: AbortSignal }): Promise<number> {
  const child = spawnGroup(command, args, options)
  const abort = () => signalGroup(child, 'SIGKILL')
  options.signal.addEventListener('abort', abort, { once: true })
  try {
    return await exitCode(child)
  } finally {
    options.signal.removeEventListener('abort', abort)
    signalGroup(child, 'SIGKILL')
    forget(child)
  }
}

/** Resolves when the child is gone and its output is drained. */
export async function exitCode(child: ChildProcess): Promise<number> {
  if (child.pid === undefined) throw ((await once(child, 'error')) as [Error])[0] // could not spawn
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null]
  return code ?? 128 + (signal ? constants.signals[signal] : 0)
}

/** SIGTERM to the whole group, then SIGKILL after `graceMs` if anything in it is still alive. */
export async function stopGroup(child: ChildProcess, graceMs = 3000): Promise<void> {
  signalGroup(child, 'SIGTERM')
  const deadline = Date.now() + graceMs
  while (groupAlive(child) && Date.now() < deadline) await sleep(25)
  signalGroup(child, 'SIGKILL')
  while (groupAlive(child)) await sleep(10)
  forget(child)
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined && groups.has(child.pid)) killQuietly(-child.pid, signal)
}

function forget(child: ChildProcess): void {
  if (child.pid !== undefined) groups.delete(child.pid)
}

function killQuietly(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}

/**
 * Whether any process of the child's group is still running. Zombies do not count: where PID 1
 * does not reap orphans (containers), a dead grandchild stays in the group as a zombie.
 */
function groupAlive(child: ChildProcess): boolean {
  const pgid = child.pid
  if (pgid === undefined || !killQuietly(-pgid, 0)) return false
  if (!hasExited(child)) return true
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return true // no procfs: trust kill(0)
  }
  return entries.some((entry) => {
    if (!/^\d+$/.test(entry)) return false
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may contain spaces and parens.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return Number(pgrp) === pgid && state !== 'Z' && state !== 'X'
    } catch {
      return false
    }
  })
}

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const pgid of groups) killQuietly(-pgid, 'SIGKILL')
  })
}

/** What every emulated process inherits from the emulator: nothing but the basics, like a fresh dyno. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[name]
    if (value !== undefined) env[name] = value
  }
  // A dyno on Heroku has no developer npmrc; this machine's (e.g. a `nodedir` key) would only add noise to build output.
  env.NPM_CONFIG_USERCONFIG = '/dev/null'
  return env
}
