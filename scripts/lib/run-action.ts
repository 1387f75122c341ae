/**
 * Runs the bundled action (`dist/index.js`) the way the GitHub runner does: Node 24, inputs as
 * `INPUT_<NAME>` with hyphens kept and action.yml defaults filled in, fresh file-command files
 * (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, ...) in RUNNER_TEMP, an event payload, a clean environment.
 * Used by the end-to-end tests, the demo and the benchmark.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

export interface ActionOptions {
  inputs: Record<string, string>
  /** The checked-out repository (GITHUB_WORKSPACE, the action's cwd). */
  workspace: string
  sha: string
  /** Extra environment (HEROKU_API_URL, GITHUB_REF, ...). */
  env?: Record<string, string>
  eventName?: string
  event?: unknown
  /** The job's token: what `${{ github.token }}` in action.yml's defaults evaluates to. */
  githubToken?: string
  /** Live stdout, e.g. to echo the log in the demo. */
  onStdout?: (text: string) => void
}

export interface ActionRun {
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  /** Every byte the action wrote: stdout, stderr and every file left in RUNNER_TEMP, decoded. */
  everything: string
  runnerTemp: string
}

export interface RunningAction {
  child: ChildProcess
  /** Resolves once stdout contains `text`. */
  waitForOutput(text: string | RegExp): Promise<void>
  done: Promise<ActionRun>
}

/** The Node 24 binary installed from npm (the runtime action.yml declares); falls back to this process's. */
export function node24(): string {
  const local = path.join(projectRoot, 'node_modules', 'node', 'bin', 'node')
  return fs.existsSync(local) ? local : process.execPath
}

/** Defaults of action.yml's inputs, as the runner fills them in. */
export function actionDefaults(): Record<string, string> {
  const yml = fs.readFileSync(path.join(projectRoot, 'action.yml'), 'utf8')
  const block = /^inputs:\n([\s\S]*?)^\S/m.exec(yml)?.[1] ?? ''
  const defaults: Record<string, string> = {}
  let current: string | undefined
  for (const line of block.split('\n')) {
    const name = /^ {2}([a-z][a-z0-9-]*):\s*$/.exec(line)?.[1]
    if (name) {
      current = name
      defaults[name] = ''
      continue
    }
    const value = /^ {4}default:\s*'?(.*?)'?\s*$/.exec(line)?.[1]
    if (current && value !== undefined) defaults[current] = value
  }
  return defaults
}

export function startAction(options: ActionOptions): RunningAction {
  const runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'heroku-cd-runner-'))
  const files = ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STATE']
  const fileCommands = path.join(runnerTemp, '_runner_file_commands')
  fs.mkdirSync(fileCommands)
  const fileEnv = Object.fromEntries(files.map((name) => [name, path.join(fileCommands, name.toLowerCase())]))
  for (const file of Object.values(fileEnv)) fs.writeFileSync(file, '')
  const eventPath = path.join(runnerTemp, 'event.json')
  fs.writeFileSync(eventPath, JSON.stringify(options.event ?? {}))

  // The runner evaluates expressions in defaults; the one action.yml uses is the job's token.
  const defaults = Object.entries(actionDefaults()).map(([name, value]) => [name, value.replace('${{ github.token }}', options.githubToken ?? '')])
  const inputs: Record<string, string> = { ...Object.fromEntries(defaults), ...options.inputs }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.homedir(),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_SHA: options.sha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_REPOSITORY: 'octo-org/hello-app',
    GITHUB_REPOSITORY_OWNER: 'octo-org',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_NUMBER: '7',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTOR: 'octocat',
    GITHUB_WORKFLOW: 'deploy',
    GITHUB_JOB: 'deploy',
    GITHUB_EVENT_NAME: options.eventName ?? 'push',
    GITHUB_EVENT_PATH: eventPath,
    RUNNER_TEMP: runnerTemp,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    NO_PROXY: '127.0.0.1,localhost',
    ...fileEnv,
    ...options.env
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value

  const child = spawn(node24(), [path.join(projectRoot, 'dist', 'index.js')], {
    cwd: options.workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  const waiters: { match: string | RegExp; resolve: () => void }[] = []
  const seen = (match: string | RegExp): boolean => (typeof match === 'string' ? stdout.includes(match) : match.test(stdout))
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text
    options.onStdout?.(text)
    for (const waiter of waiters.filter((w) => seen(w.match))) waiter.resolve()
  })
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))

  const done = new Promise<ActionRun>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (exitCode, signal) => {
      resolve({
        exitCode,
        signal,
        stdout,
        stderr,
        outputs: parseFileCommand(fs.readFileSync(fileEnv.GITHUB_OUTPUT, 'utf8')),
        summary: fs.readFileSync(fileEnv.GITHUB_STEP_SUMMARY, 'utf8'),
        everything: [stdout, stderr, ...readTree(runnerTemp)].join('\n'),
        runnerTemp
      })
    })
  })
  return {
    child,
    done,
    waitForOutput: (match) =>
      new Promise((resolve, reject) => {
        if (seen(match)) return resolve()
        waiters.push({ match, resolve })
        done.then(() => reject(new Error(`the action ended before printing ${String(match)}`)), reject)
      })
  }
}

export function runAction(options: ActionOptions): Promise<ActionRun> {
  return startAction(options).done
}

/** Parses the runner's file-command format: `NAME=VALUE` lines and `NAME<<DELIM ... DELIM` blocks. */
export function parseFileCommand(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const body: string[] = []
      while (++i < lines.length && lines[i] !== delimiter) body.push(lines[i])
      values[name] = body.join('\n')
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return values
}

function readTree(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name)).toString('latin1'))
}

/** Removes the temporary RUNNER_TEMP of a finished run. */
export function cleanup(run: ActionRun): void {
  fs.rmSync(run.runnerTemp, { recursive: true, force: true })
}
