/**
 * The benchmark: speed and memory targets, measured here rather than in timed tests.
 *   npm run bench                  # 1 GiB tree
 *   npm run bench -- --size-mb 256 # quicker
 * 1. Packaging + upload of a large repository (incompressible files): peak RSS of the process that
 *    does it must stay flat (target below), whatever the size: the archive is streamed, never held.
 * 2. A deploy of examples/hello-app to the emulator through dist/index.js: wall time, median of 3.
 * 3. strategy api vs git for the same app, from a depth-1 clone as actions/checkout leaves it: time of
 *    the step and bytes the emulator received (API calls, upload, git push), for a first deploy and
 *    for the next one after a one-line change; for hello-app and for a larger app with history.
 *    `npm run bench -- --strategies` runs only this part.
 * 4. `npm run bench -- --pipeline` (only on request): a deploy of staging alone, the same deploy then
 *    promoted to production in one step, and `promote-release` of that release alone: time of the
 *    step, bytes the emulator received, Heroku API calls; median of 3.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startGitHub } from '../emulator/github/index.js'
import { startEmulator } from '../emulator/index.js'
import { createSourceArchive } from '../src/prepare/archive.js'
import { uploadSource } from '../src/prepare/upload.js'
import { makeRepo } from './lib/git-repo.js'
import { cleanup, node24, projectRoot, runAction } from './lib/run-action.js'

const PEAK_RSS_TARGET_MB = 200
const DEPLOY_TARGET_S = 15

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name)
  return at > 0 ? Number(process.argv[at + 1]) : fallback
}

/** Child mode: package and upload one repository to a sink, then report time and peak memory. */
async function packageChild(dir: string, sha: string): Promise<void> {
  const sink = http.createServer((req, res) => {
    let received = 0
    req.on('data', (chunk: Buffer) => (received += chunk.length))
    req.on('end', () => res.writeHead(200, { 'X-Received': String(received) }).end())
  })
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve))
  const started = Date.now()
  const archive = await createSourceArchive({ sourceDir: dir, sha, tempDir: os.tmpdir() })
  const packagedMs = Date.now() - started
  await uploadSource(archive, `http://127.0.0.1:${(sink.address() as AddressInfo).port}/put`)
  const totalMs = Date.now() - started
  fs.rmSync(archive.path)
  sink.close()
  console.log(JSON.stringify({ bytes: archive.bytes, packagedMs, totalMs, maxRssMb: process.resourceUsage().maxRSS / 1024 }))
}

function makeLargeRepo(sizeMb: number): { dir: string; sha: string; remove: () => void } {
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  const fileMb = 8
  fs.mkdirSync(path.join(repo.dir, 'data'))
  for (let i = 0; i < Math.ceil(sizeMb / fileMb); i++) {
    fs.writeFileSync(path.join(repo.dir, 'data', `blob-${String(i).padStart(4, '0')}.bin`), randomBytes(fileMb * 1024 * 1024))
  }
  execFileSync('git', ['config', 'core.compression', '1'], { cwd: repo.dir })
  return { dir: repo.dir, sha: repo.commit('large tree'), remove: () => repo.remove() }
}

async function measureDeploys(times: number): Promise<number[]> {
  const apiKey = `HRKU-bench-${randomBytes(8).toString('hex')}`
  const emulator = await startEmulator({ apiKey, apps: ['hello-app'] })
  const githubToken = `ghs_bench${randomBytes(8).toString('hex')}`
  const github = await startGitHub({ token: githubToken })
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  const seconds: number[] = []
  try {
    for (let i = 0; i < times; i++) {
      repo.write('deploy.txt', `deploy ${i}\n`)
      const sha = repo.commit(`deploy ${i}`)
      const started = Date.now()
      // With the GitHub deployment (the default): created, in_progress, success.
      const run = await runAction({
        workspace: repo.dir,
        sha,
        inputs: { 'api-key': apiKey, app: 'hello-app' },
        env: { HEROKU_API_URL: emulator.apiUrl, GITHUB_API_URL: github.apiUrl },
        githubToken
      })
      seconds.push((Date.now() - started) / 1000)
      cleanup(run)
      if (run.exitCode !== 0) throw new Error(`deploy ${i} failed: ${run.stdout.split('\n').find((l) => l.startsWith('::error::'))}`)
    }
  } finally {
    await Promise.all([emulator.close(), github.close()])
    repo.remove()
  }
  return seconds
}

interface StrategyFigures {
  seconds: number
  bytes: number
  /** The job summary's timeline, e.g. "package 0.4 s, push 1.1 s, release 0.3 s". */
  stages: string
}

/** An app repository: hello-app, optionally with `extraFiles` text files (~8 KiB each) changed over `commits` commits. */
function makeAppRepo(extraFiles: number, commits: number): { repo: ReturnType<typeof makeRepo>; sha: string } {
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  let sha = repo.commit('hello-app')
  for (let c = 0; c < (extraFiles > 0 ? commits : 0); c++) {
    for (let i = 0; i < extraFiles; i++) {
      if (c > 0 && i % 10 !== c % 10) continue // later commits touch a tenth of the files
      const lines = Array.from({ length: 128 }, (_, n) => `line ${n} of module ${i}, revision ${c}: ${randomBytes(16).toString('hex')}`)
      repo.write(`lib/module-${String(i).padStart(3, '0')}.txt`, `${lines.join('\n')}\n`)
    }
    sha = repo.commit(`revision ${c}`)
  }
  return { repo, sha }
}

/** One deploy through dist/index.js from a fresh depth-1 clone; time of the step and bytes Heroku received. */
async function deployOnce(strategy: string, emulator: Awaited<ReturnType<typeof startEmulator>>, apiKey: string, origin: string, sha: string): Promise<StrategyFigures> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ws-'))
  execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${origin}`, workspace])
  const bytesBefore = emulator.bytesReceived()
  const started = Date.now()
  const run = await runAction({
    workspace,
    sha,
    // Heroku's side only: the strategies differ there, not in the GitHub deployment.
    inputs: { 'api-key': apiKey, app: 'hello-app', strategy, 'github-deployment': 'false' },
    env: { HEROKU_API_URL: emulator.apiUrl, HEROKU_GIT_URL: emulator.gitUrl }
  })
  const stages = [...run.summary.matchAll(/^\| (package|upload|build|push|release) \| ([\d.]+ s) \|/gm)].map((m) => `${m[1]} ${m[2]}`).join(', ')
  const figures = { seconds: (Date.now() - started) / 1000, bytes: emulator.bytesReceived() - bytesBefore, stages }
  cleanup(run)
  fs.rmSync(workspace, { recursive: true, force: true })
  if (run.exitCode !== 0) throw new Error(`${strategy} deploy failed: ${run.stdout.split('\n').find((l) => l.startsWith('::error::'))}`)
  return figures
}

/** First deploy and next deploy (one line changed), per strategy, median of `rounds` fresh rounds. */
async function measureStrategies(rounds: number): Promise<[string, string, string, boolean][]> {
  const rows: [string, string, string, boolean][] = []
  const apps = [
    { name: 'hello-app', extraFiles: 0, commits: 1 },
    { name: 'larger app', extraFiles: 200, commits: 10 }
  ]
  for (const app of apps) {
    for (const strategy of ['api', 'git']) {
      const first: StrategyFigures[] = []
      const next: StrategyFigures[] = []
      for (let round = 0; round < rounds; round++) {
        const apiKey = `HRKU-bench-${randomBytes(8).toString('hex')}`
        const emulator = await startEmulator({ apiKey, apps: ['hello-app'] })
        const { repo, sha } = makeAppRepo(app.extraFiles, app.commits)
        if (round === 0 && strategy === 'api') rows.push([`${app.name}: the app`, describeRepo(repo.dir), 'report', true])
        try {
          first.push(await deployOnce(strategy, emulator, apiKey, repo.dir, sha))
          repo.write('server.js', fs.readFileSync(path.join(repo.dir, 'server.js'), 'utf8').replace('Hello from', 'Hi from'))
          next.push(await deployOnce(strategy, emulator, apiKey, repo.dir, repo.commit('one line')))
        } finally {
          await emulator.close()
          repo.remove()
        }
      }
      for (const [label, runs] of [
        ['first deploy', first],
        ['next deploy, one line changed', next]
      ] as const) {
        const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
        const seconds = mid(runs.map((r) => r.seconds))
        const stages = runs.find((r) => r.seconds === seconds)?.stages
        rows.push([`${app.name}, ${strategy}: ${label}`, `${seconds.toFixed(1)} s (${stages}), ${formatKiB(mid(runs.map((r) => r.bytes)))} sent`, 'report', true])
      }
    }
  }
  return rows
}

/** Files, bytes and commits of a repository's HEAD. */
function describeRepo(dir: string): string {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: dir, encoding: 'utf8' }).split('\0').filter(Boolean)
  const bytes = files.reduce((sum, file) => sum + fs.statSync(path.join(dir, file)).size, 0)
  const commits = execFileSync('git', ['rev-list', '--count', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim()
  return `${files.length} files, ${formatKiB(bytes)}, ${commits} commit${commits === '1' ? '' : 's'}`
}

function formatKiB(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(2)} MiB`
}

function printRows(rows: [string, string, string, boolean][]): void {
  console.log(`\n| measure | value | target | ok |\n|---|---|---|---|`)
  for (const [name, value, target, ok] of rows) console.log(`| ${name} | ${value} | ${target} | ${ok ? 'yes' : 'NO'} |`)
  console.log(
    `\nMachine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${execFileSync('git', ['version'], { encoding: 'utf8' }).trim()}`
  )
}

/** Staging alone, staging + promotion, promote-release alone: seconds, bytes received, API calls (medians). */
async function measurePipeline(rounds: number): Promise<[string, string, string, boolean][]> {
  const apiKey = `HRKU-bench-${randomBytes(8).toString('hex')}`
  const emulator = await startEmulator({ apiKey, apps: ['shop-staging', 'shop-prod'] })
  emulator.createPipeline('shop', { staging: ['shop-staging'], production: ['shop-prod'] })
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  const figures: Record<string, { seconds: number; bytes: number; calls: number }[]> = {}
  const step = async (what: string, sha: string, inputs: Record<string, string>) => {
    const bytes = emulator.bytesReceived()
    const calls = emulator.requests.length
    const started = Date.now()
    const run = await runAction({
      workspace: repo.dir,
      sha,
      inputs: { 'api-key': apiKey, app: 'shop-staging', 'smoke-checks': '/health 200 ok', 'github-deployment': 'false', ...inputs },
      env: { HEROKU_API_URL: emulator.apiUrl }
    })
    const seconds = (Date.now() - started) / 1000
    const api = emulator.requests.slice(calls).filter((r) => !r.path.startsWith('/blobs/') && !r.path.startsWith('/streams/')).length
    ;(figures[what] ??= []).push({ seconds, bytes: emulator.bytesReceived() - bytes, calls: api })
    cleanup(run)
    if (run.exitCode !== 0) throw new Error(`${what} failed: ${run.stdout.split('\n').find((l) => l.startsWith('::error::'))}`)
    return JSON.parse(run.outputs.results) as { release_id: string }[]
  }
  try {
    for (let i = 0; i < rounds; i++) {
      repo.write('deploy.txt', `round ${i}\n`)
      const sha = repo.commit(`round ${i}`)
      await step('deploy staging', sha, {})
      repo.write('deploy.txt', `round ${i}, promoted\n`)
      const promoted = repo.commit(`round ${i}, promoted`)
      const [staging] = await step('deploy staging + promote to production', promoted, { 'promote-to': 'shop-prod' })
      await step('promote-release to production', promoted, { 'promote-to': 'shop-prod', 'promote-release': staging.release_id })
    }
  } finally {
    await emulator.close()
    repo.remove()
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  return Object.entries(figures).map(([what, runs]) => [
    `${what} (median of ${runs.length})`,
    `${median(runs.map((r) => r.seconds)).toFixed(1)} s, ${formatKiB(median(runs.map((r) => r.bytes)))} sent, ${median(runs.map((r) => r.calls))} API calls`,
    'report',
    true
  ])
}

async function main(): Promise<number> {
  if (process.argv[2] === '--child-package') {
    await packageChild(process.argv[3], process.argv[4])
    return 0
  }
  if (process.argv[2] === '--child-baseline') {
    console.log(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024 }))
    return 0
  }
  if (process.argv.includes('--pipeline')) {
    console.log('staging, staging + promotion, promote-release: median of 3...')
    printRows(await measurePipeline(3))
    return 0
  }
  if (process.argv.includes('--strategies')) {
    console.log('strategy api vs git, from depth-1 clones, median of 3 fresh rounds...')
    printRows(await measureStrategies(3))
    return 0
  }
  const sizeMb = arg('--size-mb', 1024)
  console.log(`Making a repository with ${sizeMb} MiB of incompressible committed files...`)
  const large = makeLargeRepo(sizeMb)
  const self = fileURLToPath(import.meta.url)
  const tsx = path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs')
  const child = (...args: string[]) => {
    const result = spawnSync(node24(), [tsx, self, ...args], { encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`benchmark child ${args[0]} failed: ${result.stderr}`)
    return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}')
  }
  const pack = child('--child-package', large.dir, large.sha) as { bytes: number; packagedMs: number; totalMs: number; maxRssMb: number }
  const baseline = child('--child-baseline') as { maxRssMb: number }
  large.remove()

  console.log('Deploying examples/hello-app to the emulator through dist/index.js, 3 times...')
  const deploys = await measureDeploys(3)
  const median = [...deploys].sort((a, b) => a - b)[1]
  console.log('strategy api vs git, from depth-1 clones, median of 3 fresh rounds...')
  const strategies = await measureStrategies(3)

  const rows: [string, string, string, boolean][] = [
    [`package + upload ${sizeMb} MiB: peak RSS`, `${pack.maxRssMb.toFixed(0)} MiB`, `< ${PEAK_RSS_TARGET_MB} MiB`, pack.maxRssMb < PEAK_RSS_TARGET_MB],
    ['same process doing nothing (tsx + modules loaded): peak RSS', `${baseline.maxRssMb.toFixed(0)} MiB`, 'report', true],
    [`package ${sizeMb} MiB (git archive + gzip + sha256)`, `${(pack.packagedMs / 1000).toFixed(1)} s (${(pack.bytes / 1048576).toFixed(0)} MiB gz)`, 'report', true],
    [`package + upload ${sizeMb} MiB`, `${(pack.totalMs / 1000).toFixed(1)} s`, 'report', true],
    [
      'deploy of hello-app to the emulator (median of 3)',
      `${median.toFixed(1)} s (${deploys.map((s) => s.toFixed(1)).join(', ')})`,
      `< ${DEPLOY_TARGET_S} s`,
      median < DEPLOY_TARGET_S
    ],
    ...strategies
  ]
  printRows(rows)
  return rows.every((row) => row[3]) ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  }
)
