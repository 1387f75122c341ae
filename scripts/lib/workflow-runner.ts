/**
 * Runs a workflow file's jobs on this machine the way GitHub's runner runs them, so that a workflow and
 * its local run cannot drift (`npm run self-test` runs .github/workflows/self-test.yml with it):
 *
 * - `run:` steps with bash (`shell: bash` is `bash --noprofile --norc -eo pipefail`), in their own process
 *   group, with the step's `env:`, `working-directory:` and `timeout-minutes:`;
 * - `uses: ./` (a local action): action.yml is read from the workspace, its inputs' defaults filled in
 *   and overlaid by `with:` as `INPUT_<NAME>` variables, and `runs.main` run with Node 24;
 * - the file commands (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY) and `::add-mask::`;
 * - `${{ }}` expressions (workflow-expressions.ts), `if:` with the status functions, `continue-on-error`,
 *   `steps.<id>.outputs`, `.outcome` and `.conclusion`;
 * - at the end of a job, every process a step left behind is ended (found by RUNNER_TRACKING_ID in its
 *   environment, as the runner's orphan clean-up does).
 *
 * What a local run cannot do is replaced or refused, never skipped silently: `actions/checkout` is a
 * snapshot commit of the repository's working tree (tracked and untracked files, not ignored ones) in a
 * fresh folder, so uncommitted changes are tested too and your repository is never touched;
 * `actions/setup-node` puts the project's Node 24 (the `node` devDependency) first on PATH and checks the
 * version asked for; any other remote action, and any workflow key this runner does not implement, fails.
 */
import { execFileSync, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { parse } from 'yaml'
import { git } from './git-repo.js'
import { prettyLine } from './pretty-log.js'
import { node24, parseFileCommand } from './run-action.js'
import { condition, interpolate, type Scope, toText, type Value } from './workflow-expressions.js'

type Env = Record<string, string>
type Mapping = Record<string, unknown>

interface Defaults {
  run?: { shell?: string; 'working-directory'?: string }
}

interface Step {
  id?: string
  name?: string
  uses?: string
  run?: string
  with?: Mapping
  env?: Mapping
  if?: string | boolean
  'continue-on-error'?: boolean | string
  shell?: string
  'working-directory'?: string
  'timeout-minutes'?: number
}

interface Job {
  name?: string
  env?: Mapping
  defaults?: Defaults
  'timeout-minutes'?: number
  steps: Step[]
}

interface Workflow {
  name?: string
  env?: Mapping
  defaults?: Defaults
  jobs: Record<string, Job>
}

export type Outcome = 'success' | 'failure' | 'skipped' | 'cancelled'

export interface StepResult {
  id?: string
  name: string
  outcome: Outcome
  conclusion: Outcome
  outputs: Env
}

export interface JobResult {
  id: string
  name: string
  result: Outcome
  steps: StepResult[]
  /** Everything the steps wrote to GITHUB_STEP_SUMMARY. */
  summary: string
  /** Every line the job printed (masked), as the log shows it. */
  log: string[]
}

export interface RunOptions {
  workflowFile: string
  /** The repository whose working tree `actions/checkout` stands for. */
  repository: string
  /** Only these jobs (ids); all by default. */
  jobs?: string[]
  /** Where log lines go (default: stdout). */
  write?: (line: string) => void
  /** Keep each job's workspace and RUNNER_TEMP (their paths are printed). */
  keep?: boolean
  /** Cancels the run: the running step is stopped, then only `always()`/`cancelled()` steps run. */
  signal?: AbortSignal
}

// Keys this runner implements; anything else in the file fails the run rather than being ignored.
// runs-on, permissions and concurrency mean nothing on one machine and are accepted as they are.
const WORKFLOW_KEYS = ['name', 'run-name', 'on', 'permissions', 'concurrency', 'env', 'defaults', 'jobs']
const JOB_KEYS = ['name', 'runs-on', 'permissions', 'concurrency', 'env', 'defaults', 'timeout-minutes', 'steps']
const STEP_KEYS = ['id', 'name', 'uses', 'run', 'with', 'env', 'if', 'continue-on-error', 'shell', 'working-directory', 'timeout-minutes']
const SHELLS: Record<string, string[]> = {
  // As the runner: an unnamed shell is `bash -e {0}`, `shell: bash` adds pipefail and skips the profile.
  '': ['bash', '-e'],
  bash: ['bash', '--noprofile', '--norc', '-eo', 'pipefail'],
  sh: ['sh', '-e']
}
// A job's processes inherit this machine's environment (its CA certificates, proxy, locale) as a
// runner's do, less what belongs to this run rather than to the machine: npm run's npm_config_* (one
// points at this project and would send a step's `npm ci` here), NODE_OPTIONS, jest's variables, and a
// CI's own GITHUB_*, RUNNER_*, INPUT_*.
const NOT_INHERITED = /^(npm_|INPUT_|GITHUB_|RUNNER_|ACTIONS_|STATE_|JEST_)|^(PATH|INIT_CWD|NODE_OPTIONS|NODE_NO_WARNINGS|NODE_ENV|PWD|OLDPWD|CI)$/

export function loadWorkflow(file: string): Workflow {
  const workflow = parse(fs.readFileSync(file, 'utf8')) as Workflow
  const where = path.basename(file)
  unknownKeys(workflow as unknown as Mapping, WORKFLOW_KEYS, where)
  for (const [id, job] of Object.entries(workflow.jobs ?? {})) {
    unknownKeys(job as unknown as Mapping, JOB_KEYS, `${where}: job '${id}'`)
    job.steps.forEach((step, i) => unknownKeys(step as unknown as Mapping, STEP_KEYS, `${where}: job '${id}', step ${i + 1}`))
  }
  return workflow
}

function unknownKeys(object: Mapping, known: string[], where: string): void {
  const unknown = Object.keys(object).filter((key) => !known.includes(key))
  if (unknown.length > 0) throw new Error(`${where}: the local runner does not implement ${unknown.map((k) => `'${k}'`).join(', ')} (it knows ${known.join(', ')})`)
}

/** A fresh repository holding the working tree of `repository` in one commit: what `actions/checkout` leaves. */
export function checkout(repository: string): { dir: string; sha: string; branch: string } {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repository, encoding: 'utf8' })
  const head = execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: repository, encoding: 'utf8' }).trim()
  const branch = head === 'HEAD' ? 'main' : head
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heroku-cd-workspace-'))
  for (const file of new Set(listed.split('\0').filter(Boolean))) {
    const from = path.join(repository, file)
    const to = path.join(dir, file)
    const stat = fs.lstatSync(from, { throwIfNoEntry: false })
    if (!stat || stat.isDirectory()) continue // deleted in the work tree, or a submodule
    fs.mkdirSync(path.dirname(to), { recursive: true })
    if (stat.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to)
    else fs.copyFileSync(from, to)
  }
  git(dir, 'init', '-q', '-b', branch)
  git(dir, 'add', '-A')
  git(dir, '-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', `The working tree of ${path.basename(repository)} (${branch}), for a local workflow run`)
  return { dir, sha: git(dir, 'rev-parse', 'HEAD'), branch }
}

/** Runs the workflow's jobs one after the other; resolves with each job's result. */
export async function runWorkflow(options: RunOptions): Promise<JobResult[]> {
  const workflow = loadWorkflow(options.workflowFile)
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`))
  const wanted = options.jobs ?? Object.keys(workflow.jobs)
  const missing = wanted.filter((id) => !(id in workflow.jobs))
  if (missing.length > 0) throw new Error(`No job ${missing.join(', ')} in ${options.workflowFile} (jobs: ${Object.keys(workflow.jobs).join(', ')})`)
  const results: JobResult[] = []
  for (const id of wanted) {
    if (options.signal?.aborted) break
    results.push(await new JobRun(workflow, id, options, write).run())
  }
  return results
}

class JobRun {
  private readonly job: Job
  private readonly log: string[] = []
  private readonly masks = new Set<string>()
  private readonly steps: Record<string, { outputs: Env; outcome: Outcome; conclusion: Outcome }> = {}
  private readonly results: StepResult[] = []
  private readonly trackingId = `heroku-cd-local-${randomUUID()}`
  private readonly githubToken = `ghs_local${randomUUID().replace(/-/g, '')}`
  private env: Env = {}
  private paths: string[] = []
  private summary = ''
  private failed = false
  private cancelled = false
  private stopCurrent?: () => void

  constructor(
    private readonly workflow: Workflow,
    private readonly id: string,
    private readonly options: RunOptions,
    private readonly write: (line: string) => void
  ) {
    this.job = workflow.jobs[id]
  }

  async run(): Promise<JobResult> {
    const name = this.job.name ?? this.id
    const workspace = checkout(this.options.repository)
    const runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'heroku-cd-runner-'))
    this.print(`\n━━ job ${this.id}: ${name} ━━`)
    this.print(`workspace ${workspace.dir}: your working tree as commit ${workspace.sha.slice(0, 7)} on ${workspace.branch}`)
    const onAbort = (): void => {
      this.cancelled = true
      this.stopCurrent?.()
    }
    this.options.signal?.addEventListener('abort', onAbort)
    if (this.options.signal?.aborted) this.cancelled = true
    const deadline = this.job['timeout-minutes'] ? Date.now() + this.job['timeout-minutes'] * 60_000 : Infinity
    try {
      this.env = { ...this.expand(this.workflow.env, this.scope(workspace, runnerTemp)) }
      this.env = { ...this.env, ...this.expand(this.job.env, this.scope(workspace, runnerTemp)) }
      for (const [i, step] of this.job.steps.entries()) {
        await this.step(step, i, workspace, runnerTemp, deadline)
      }
    } finally {
      this.options.signal?.removeEventListener('abort', onAbort)
      await this.endOrphans()
      if (this.options.keep) this.print(`kept: workspace ${workspace.dir}, RUNNER_TEMP ${runnerTemp}`)
      else for (const dir of [workspace.dir, runnerTemp]) fs.rmSync(dir, { recursive: true, force: true })
    }
    const result: Outcome = this.cancelled ? 'cancelled' : this.failed ? 'failure' : 'success'
    this.print(`━━ job ${this.id}: ${result} ━━`)
    return { id: this.id, name, result, steps: this.results, summary: this.summary, log: this.log }
  }

  private scope(workspace: { dir: string; sha: string; branch: string }, runnerTemp: string, stepId?: string): Scope {
    const github: Record<string, Value> = {
      sha: workspace.sha,
      ref: `refs/heads/${workspace.branch}`,
      ref_name: workspace.branch,
      ref_type: 'branch',
      event_name: 'push',
      event: this.event(workspace),
      repository: 'local/heroku-cd',
      repository_owner: 'local',
      workspace: workspace.dir,
      token: this.githubToken,
      job: this.id,
      workflow: this.workflow.name ?? path.basename(this.options.workflowFile),
      run_id: '1',
      run_number: '1',
      run_attempt: '1',
      actor: os.userInfo().username,
      server_url: 'https://github.com',
      api_url: 'https://api.github.com',
      action: stepId ?? ''
    }
    const runner: Record<string, Value> = { os: 'Linux', arch: process.arch === 'arm64' ? 'ARM64' : 'X64', name: 'local', temp: runnerTemp, debug: '' }
    return {
      contexts: { github, env: { ...this.env }, steps: this.steps, runner, job: { status: this.failed ? 'failure' : 'success' } },
      status: { failed: this.failed, cancelled: this.cancelled }
    }
  }

  private event(workspace: { sha: string; branch: string }): Record<string, Value> {
    return {
      ref: `refs/heads/${workspace.branch}`,
      after: workspace.sha,
      head_commit: { id: workspace.sha, message: 'The working tree, for a local workflow run' },
      repository: { full_name: 'local/heroku-cd', name: 'heroku-cd', owner: { login: 'local' } },
      sender: { login: os.userInfo().username }
    }
  }

  /** A mapping's values with their expressions evaluated, as strings. */
  private expand(mapping: Mapping | undefined, scope: Scope): Env {
    return Object.fromEntries(Object.entries(mapping ?? {}).map(([key, value]) => [key, interpolate(stringOf(value), scope)]))
  }

  private async step(step: Step, index: number, workspace: { dir: string; sha: string; branch: string }, runnerTemp: string, deadline: number): Promise<void> {
    const name = step.name ?? (step.run !== undefined ? `Run ${step.run.trim().split('\n')[0]}` : `Run ${step.uses}`)
    let scope = this.scope(workspace, runnerTemp, step.id)
    const record = (outcome: Outcome, conclusion: Outcome, outputs: Env = {}): void => {
      if (step.id) this.steps[step.id] = { outputs, outcome, conclusion }
      this.results.push({ id: step.id, name, outcome, conclusion, outputs })
    }
    if (!condition(step.if, scope)) {
      this.print(`– ${name} (skipped)`)
      record('skipped', 'skipped')
      return
    }
    this.print(`▶ ${name}`)
    const started = Date.now()
    const files = this.fileCommands(runnerTemp, index)
    let exitCode: number
    let outputs: Env = {}
    try {
      const stepEnv = this.expand(step.env, scope)
      scope = { ...scope, contexts: { ...scope.contexts, env: { ...this.env, ...stepEnv } } }
      const env: Env = {
        ...this.baseEnv(workspace, runnerTemp, step.id ?? `__step${index}`),
        ...this.env,
        ...stepEnv,
        ...files
      }
      const limit = Math.min(deadline, step['timeout-minutes'] ? started + step['timeout-minutes'] * 60_000 : Infinity)
      exitCode = await this.execute(step, scope, env, workspace.dir, runnerTemp, limit)
      outputs = parseFileCommand(fs.readFileSync(files.GITHUB_OUTPUT, 'utf8'))
      Object.assign(this.env, parseFileCommand(fs.readFileSync(files.GITHUB_ENV, 'utf8')))
      const added = fs.readFileSync(files.GITHUB_PATH, 'utf8').split('\n').filter(Boolean)
      this.paths = [...added.reverse(), ...this.paths]
      this.summary += fs.readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8')
    } catch (error) {
      this.print(`  error: ${error instanceof Error ? error.message : String(error)}`)
      exitCode = 1
    }
    const outcome: Outcome = this.cancelled && exitCode !== 0 ? 'cancelled' : exitCode === 0 ? 'success' : 'failure'
    const continueOnError = interpolate(stringOf(step['continue-on-error']), scope).trim().toLowerCase() === 'true'
    const conclusion: Outcome = outcome === 'failure' && continueOnError ? 'success' : outcome
    if (conclusion === 'failure') this.failed = true
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    const mark = outcome === 'success' ? '✓' : '✗'
    this.print(`${mark} ${name}: ${outcome}${outcome !== conclusion ? ` (continue-on-error: the step counts as ${conclusion})` : ''}, ${seconds} s`)
    record(outcome, conclusion, outputs)
  }

  private fileCommands(runnerTemp: string, index: number): Env {
    const dir = path.join(runnerTemp, '_runner_file_commands')
    fs.mkdirSync(dir, { recursive: true })
    const files: Env = {}
    for (const name of ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY']) {
      files[name] = path.join(dir, `${name.toLowerCase()}_${index}`)
      fs.writeFileSync(files[name], '')
    }
    return files
  }

  private baseEnv(workspace: { dir: string; sha: string; branch: string }, runnerTemp: string, stepId: string): Env {
    const inherited = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => !NOT_INHERITED.test(entry[0]) && entry[1] !== undefined))
    // Without this project's node_modules/.bin (npm run puts it first): a step finds only what the
    // workflow itself installed or put on the PATH, as on a fresh runner.
    const machinePath = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(path.delimiter).filter((dir) => dir && !dir.includes(`${path.sep}node_modules${path.sep}`))
    const eventPath = path.join(runnerTemp, 'event.json')
    fs.writeFileSync(eventPath, JSON.stringify(this.event(workspace)))
    return {
      ...inherited,
      PATH: [...this.paths, ...machinePath].join(path.delimiter),
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace.dir,
      GITHUB_SHA: workspace.sha,
      GITHUB_REF: `refs/heads/${workspace.branch}`,
      GITHUB_REF_NAME: workspace.branch,
      GITHUB_REF_TYPE: 'branch',
      GITHUB_REPOSITORY: 'local/heroku-cd',
      GITHUB_REPOSITORY_OWNER: 'local',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'https://api.github.com',
      GITHUB_RUN_ID: '1',
      GITHUB_RUN_NUMBER: '1',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_ACTOR: os.userInfo().username,
      GITHUB_WORKFLOW: this.workflow.name ?? path.basename(this.options.workflowFile),
      GITHUB_JOB: this.id,
      GITHUB_ACTION: stepId,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: eventPath,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: process.arch === 'arm64' ? 'ARM64' : 'X64',
      RUNNER_NAME: 'local',
      RUNNER_TEMP: runnerTemp,
      RUNNER_TOOL_CACHE: path.join(runnerTemp, '_tool'),
      RUNNER_TRACKING_ID: this.trackingId
    }
  }

  private async execute(step: Step, scope: Scope, env: Env, workspace: string, runnerTemp: string, deadline: number): Promise<number> {
    if (step.run !== undefined && step.uses !== undefined) throw new Error("a step has either 'run' or 'uses', not both")
    if (step.run !== undefined) {
      const shell = step.shell ?? this.job.defaults?.run?.shell ?? this.workflow.defaults?.run?.shell ?? ''
      const command = SHELLS[shell]
      if (!command) throw new Error(`the local runner runs bash and sh steps, not '${shell}'`)
      const script = path.join(runnerTemp, `${randomUUID()}.sh`)
      fs.writeFileSync(script, interpolate(step.run, scope))
      const dir = step['working-directory'] ?? this.job.defaults?.run?.['working-directory'] ?? this.workflow.defaults?.run?.['working-directory'] ?? '.'
      return this.spawn(command[0], [...command.slice(1), script], path.resolve(workspace, interpolate(dir, scope)), env, deadline)
    }
    const uses = step.uses ?? ''
    const inputs = this.expand(step.with, scope)
    if (uses.startsWith('./')) return this.localAction(uses, inputs, scope, env, workspace, deadline)
    const [action, ref] = uses.split('@')
    if (action === 'actions/checkout') {
      const unsupported = Object.keys(inputs).filter((key) => !['fetch-depth', 'persist-credentials'].includes(key))
      if (unsupported.length > 0) throw new Error(`actions/checkout with ${unsupported.join(', ')} is not supported locally`)
      this.print(`  local: ${uses} is the snapshot above (GITHUB_WORKSPACE)`)
      return 0
    }
    if (action === 'actions/setup-node') {
      const node = node24()
      const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
      const wanted = inputs['node-version'] ?? ''
      const have = version.replace(/^v/, '').split('.')
      if (
        !wanted ||
        !wanted
          .replace(/^v/, '')
          .replace(/\.x$/, '')
          .split('.')
          .every((part, i) => part === have[i])
      ) {
        throw new Error(`actions/setup-node@${ref} asks for node-version '${wanted}'; the local runner has Node ${version} (the project's node devDependency)`)
      }
      this.paths = [path.dirname(node), ...this.paths]
      this.print(`  local: Node ${version} from ${path.dirname(node)} first on PATH${inputs.cache ? ` (cache: ${inputs.cache} is the runner's; not used here)` : ''}`)
      return 0
    }
    throw new Error(`the local runner cannot run ${uses}: only ./ (a local action), actions/checkout and actions/setup-node`)
  }

  /** `uses: ./path`: as the runner runs a JavaScript action. */
  private async localAction(uses: string, inputs: Env, scope: Scope, env: Env, workspace: string, deadline: number): Promise<number> {
    const dir = path.resolve(workspace, uses)
    const file = ['action.yml', 'action.yaml'].map((name) => path.join(dir, name)).find((candidate) => fs.existsSync(candidate))
    if (!file) throw new Error(`Can't find 'action.yml' or 'action.yaml' under '${dir}'`)
    const action = parse(fs.readFileSync(file, 'utf8')) as { inputs?: Record<string, { default?: unknown }>; runs?: { using?: string; main?: string; pre?: string; post?: string } }
    const runs = action.runs ?? {}
    if (runs.using !== 'node24') throw new Error(`${path.relative(workspace, file)}: runs.using is '${runs.using}'; the local runner runs node24 actions`)
    if (runs.pre || runs.post || !runs.main) throw new Error(`${path.relative(workspace, file)}: the local runner runs a main script only (no pre or post)`)
    const declared = action.inputs ?? {}
    const unexpected = Object.keys(inputs).filter((name) => !(name in declared))
    if (unexpected.length > 0) {
      this.print(
        `  ::warning::Unexpected input(s) ${unexpected.map((n) => `'${n}'`).join(', ')}, valid inputs are [${Object.keys(declared)
          .map((n) => `'${n}'`)
          .join(', ')}]`
      )
    }
    const values: Env = {}
    for (const [name, spec] of Object.entries(declared)) values[name] = spec.default === undefined ? '' : interpolate(stringOf(spec.default), scope)
    Object.assign(values, inputs)
    for (const [name, value] of Object.entries(values)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
    return this.spawn(node24(), [path.join(dir, runs.main)], workspace, env, deadline)
  }

  /** Runs a process in its own group; its lines are shown masked; the group is stopped at the deadline or on a cancel. */
  private spawn(command: string, args: string[], cwd: string, env: Env, deadline: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
      const stop = (): void => {
        try {
          process.kill(-(child.pid ?? 0), 'SIGTERM')
          setTimeout(() => {
            try {
              process.kill(-(child.pid ?? 0), 'SIGKILL')
            } catch {
              // already gone
            }
          }, 5000).unref()
        } catch {
          // already gone
        }
      }
      this.stopCurrent = stop
      const timer =
        deadline === Infinity
          ? undefined
          : setTimeout(
              () => {
                this.print(`  ::error::The step ran past its timeout-minutes and was stopped.`)
                stop()
              },
              Math.max(0, deadline - Date.now())
            )
      for (const stream of [child.stdout, child.stderr]) {
        let partial = ''
        stream.setEncoding('utf8')
        stream.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n')
          partial = lines.pop() ?? ''
          lines.forEach((line) => this.stepLine(line))
        })
        stream.on('end', () => partial && this.stepLine(partial))
      }
      let exitCode: number | undefined
      let finished = false
      const finish = (): void => {
        if (finished) return
        finished = true
        clearTimeout(timer)
        this.stopCurrent = undefined
        resolve(exitCode ?? 1)
      }
      child.on('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      // A background process of the step (an emulator started with &) may hold the pipes open: the
      // step is over when its own process exits, as on the runner.
      child.on('exit', (code, signal) => {
        exitCode = code ?? (signal ? 128 : 1)
        setTimeout(finish, 2000).unref()
      })
      child.on('close', () => finish())
    })
  }

  /** One line a step printed: workflow commands handled as the runner does, then shown masked. */
  private stepLine(raw: string): void {
    const line = raw.replace(/\r$/, '')
    const mask = /^::add-mask::(.*)$/.exec(line)
    if (mask && mask[1].trim()) this.masks.add(mask[1].trim())
    const shown = prettyLine(line)
    if (shown !== undefined) this.print(shown.replace(/^\n/, '').replace(/^/gm, '  '))
  }

  private print(line: string): void {
    let masked = line
    for (const secret of [...this.masks].sort((a, b) => b.length - a.length)) masked = masked.split(secret).join('***')
    this.log.push(masked)
    this.write(masked)
  }

  /** The runner's "Cleaning up orphan processes": whatever a step started and left running. */
  private async endOrphans(): Promise<void> {
    const tracked = (): number[] => {
      if (!fs.existsSync('/proc')) return []
      return fs
        .readdirSync('/proc')
        .filter((entry) => /^\d+$/.test(entry))
        .map(Number)
        .filter((pid) => {
          try {
            return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`RUNNER_TRACKING_ID=${this.trackingId}`)
          } catch {
            return false
          }
        })
    }
    const signal = (pids: number[], name: NodeJS.Signals): void =>
      pids.forEach((pid) => {
        try {
          process.kill(pid, name)
        } catch {
          // gone meanwhile
        }
      })
    let left = tracked()
    if (left.length === 0) return
    this.print(`Cleaning up orphan processes: ${left.join(', ')}`)
    signal(left, 'SIGTERM')
    for (let waited = 0; waited < 10_000 && left.length > 0; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      left = tracked()
    }
    signal(left, 'SIGKILL')
  }
}

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : value === null || value === undefined ? '' : toText(value as Value)
}
