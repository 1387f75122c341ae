/**
 * The benchmark: what the action costs around Heroku's own build, measured against the emulator and
 * against the plain tools that set the limit, never in timed tests. Every action run is dist/index.js
 * started as the runner starts it (Node 24, INPUT_* variables), with the GitHub deployment on (the
 * default) against the local GitHub API.
 *
 *   npm run bench                  # everything (about 6 minutes on 2 quiet cores): one table, also in bench/results.md
 *   npm run bench -- --quick       # one round of each on smaller trees: checks that the benchmark runs
 *   npm run bench -- --strategies  # api vs git for hello-app and a larger app, first and next deploy ("git or api?")
 *   npm run bench -- --pipeline    # staging alone, staging + promotion, promote-release alone (time, bytes sent, API calls)
 *
 * 1. Packaging + upload of a ~170 MB tree (source-like text and incompressible blobs), side by side with
 *    `git archive --format=tar.gz` and `git archive | gzip -1`, in turns, median of the rounds.
 * 2. The deflate level: packaging time and bytes per level, and what each costs at a runner's upload speed.
 * 3. Peak memory of the action for hello-app, the 170 MB tree and a 1 GiB tree.
 * 4. Cold start (process start → first Heroku request), dist/ size.
 * 5. Waiting: Platform API calls for a build of 60 s and a release phase of 20 s; release detection latency
 *    (the emulator marks the release succeeded → the action reports it), over every deploy of the run.
 * 6. Fan-out: 1, 3 and 10 apps, with and without build-once: bytes uploaded, time.
 * 7. The usual approach: the same tree with its history by `git push` (strategy git, a full clone) vs the API path.
 */
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type LocalGitHub, startGitHub } from '../emulator/github/index.js'
import { type Emulator, startEmulator } from '../emulator/index.js'
import { createSourceArchive } from '../src/prepare/archive.js'
import { makeBenchTree, type TreeSpec } from './lib/bench-tree.js'
import { makeRepo } from './lib/git-repo.js'
import { actionDefaults, cleanup, node24, projectRoot, runAction, startAction } from './lib/run-action.js'

const TARGETS = {
  packageVsGitTgz: 0.5,
  bytesVsGitTgz: 1.15,
  peakRssMb: 150,
  coldStartMs: 300,
  apiCalls: 40,
  detectionMs: 1000,
  benchMinutes: 10
}
/** Upload speeds a runner reaches to S3 (MB/s): the level is chosen on what it costs across them. */
const UPLOAD_SPEEDS = [25, 50, 100]
const LEVELS = [1, 2, 4, 6]

const quick = process.argv.includes('--quick')
const self = fileURLToPath(import.meta.url)
const tsx = path.join(projectRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs')
const peakRssProbe = path.join(projectRoot, 'scripts', 'lib', 'peak-rss.cjs')

type Row = [measure: string, value: string, target: string, met: boolean | undefined]

// ---------------------------------------------------------------- small helpers

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2
}
const spread = (values: number[], format: (n: number) => string) =>
  values.length > 1 ? `${format(median(values))} (${format(Math.min(...values))}–${format(Math.max(...values))}, n=${values.length})` : format(values[0])
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
/** A table cell: a pipe inside it (`git archive | gzip -1`) would end the cell. */
const cell = (text: string) => text.replace(/\|/g, '\\|')
const mib = (bytes: number) => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`)
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`
const loadAverage = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' / ')

/** Runs a command to its end and returns its wall time (process start included). */
async function timeCommand(command: string, args: string[], cwd: string): Promise<number> {
  const started = performance.now()
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'ignore', 'inherit'] })
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited ${code}`))))
  })
  return performance.now() - started
}

/** Runs this script in a child process (so the emulator in this one keeps answering) and parses its last line. */
async function child<T>(...args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const process = spawn(node24(), [tsx, self, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    process.stdout.setEncoding('utf8').on('data', (text: string) => (out += text))
    process.on('error', reject)
    process.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? 'null') as T) : reject(new Error(`bench child ${args[0]} exited ${code}`))))
  })
}

interface Tree {
  dir: string
  sha: string
}

const makeTree = (spec: TreeSpec) => child<Tree>('--child-tree', JSON.stringify(spec))

// ---------------------------------------------------------------- one deploy through dist/index.js

interface World {
  emulator: Emulator
  github: LocalGitHub
  apiKey: string
  githubToken: string
  /** When the emulator marked each release succeeded: `${app} v${n}` → ms. */
  settled: Map<string, number>
  close(): Promise<void>
}

async function startWorld(apps: string[], configure?: (emulator: Emulator) => void): Promise<World> {
  const apiKey = `HRKU-bench-${randomBytes(8).toString('hex')}`
  const githubToken = `ghs_bench${randomBytes(8).toString('hex')}`
  const settled = new Map<string, number>()
  const emulator = await startEmulator({
    apiKey,
    apps,
    log: (line) => {
      const match = /^([a-z0-9-]+): v(\d+) succeeded/.exec(line)
      if (match) settled.set(`${match[1]} v${match[2]}`, Date.now())
    }
  })
  configure?.(emulator)
  const github = await startGitHub({ token: githubToken })
  return { emulator, github, apiKey, githubToken, settled, close: async () => void (await Promise.all([emulator.close(), github.close()])) }
}

interface Deploy {
  wallMs: number
  /** Process start → first Heroku request. */
  coldMs: number
  /** Process start → first POST /builds (package + upload done, api strategy). */
  uploadedMs?: number
  uploadBytes: number
  /** Every byte the emulator received during the step (API calls, uploads, git pushes). */
  sentBytes: number
  /** Platform API calls (not blob or stream URLs, not git). */
  apiCalls: number
  peakRssMb: number
  /** Emulator marked a release succeeded → the action printed it, per release. */
  detectionMs: number[]
  stages: string
}

/** All deploys of the run, for the detection latency over all of them. */
const allDetections: number[] = []

async function deploy(world: World, workspace: string, sha: string, inputs: Record<string, string>): Promise<Deploy> {
  const { emulator } = world
  const before = { requests: emulator.requests.length, bytes: emulator.bytesReceived() }
  const rssFile = path.join(os.tmpdir(), `heroku-cd-bench-rss-${randomBytes(4).toString('hex')}`)
  const reported = new Map<string, number>()
  let partial = ''
  const started = Date.now()
  const running = startAction({
    workspace,
    sha,
    inputs: { 'api-key': world.apiKey, ...inputs },
    env: {
      HEROKU_API_URL: emulator.apiUrl,
      HEROKU_GIT_URL: emulator.gitUrl,
      GITHUB_API_URL: world.github.apiUrl,
      NODE_OPTIONS: `--require ${peakRssProbe}`,
      HEROKU_CD_PEAK_RSS_FILE: rssFile
    },
    githubToken: world.githubToken,
    onStdout: (text) => {
      const lines = (partial + text).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        const match = /Released v(\d+) on ([a-z0-9-]+)/.exec(line)
        if (match && !reported.has(`${match[2]} v${match[1]}`)) reported.set(`${match[2]} v${match[1]}`, Date.now())
      }
    }
  })
  const run = await running.done
  const wallMs = Date.now() - started
  const requests = emulator.requests.slice(before.requests)
  const isApi = (p: string) => !p.startsWith('/blobs/') && !p.startsWith('/streams/') && !/^\/[a-z0-9-]+\.git\//.test(p)
  const firstBuild = requests.find((r) => r.method === 'POST' && /^\/apps\/[^/]+\/builds$/.test(r.path))
  const detectionMs = [...reported].map(([release, at]) => at - (world.settled.get(release) ?? NaN)).filter((ms) => Number.isFinite(ms))
  allDetections.push(...detectionMs)
  const peakRssMb = Number(fs.readFileSync(rssFile, 'utf8')) / 1024
  fs.rmSync(rssFile, { force: true })
  const stages = [...run.summary.matchAll(/^\| (package|upload|build|push|slug|release) \| ([\d.]+ s) \|/gm)].map((m) => `${m[1]} ${m[2]}`).join(', ')
  cleanup(run)
  if (run.exitCode !== 0)
    throw new Error(
      `deploy failed: ${run.stdout
        .split('\n')
        .filter((l) => l.startsWith('::error::'))
        .join(' ')}`
    )
  return {
    wallMs,
    coldMs: (requests[0]?.at ?? NaN) - started,
    uploadedMs: firstBuild ? firstBuild.at - started : undefined,
    uploadBytes: requests.filter((r) => r.method === 'PUT' && r.path.startsWith('/blobs/')).reduce((sum, r) => sum + Number(r.headers['content-length'] ?? 0), 0),
    sentBytes: emulator.bytesReceived() - before.bytes,
    apiCalls: requests.filter((r) => isApi(r.path)).length,
    peakRssMb,
    detectionMs,
    stages
  }
}

// ---------------------------------------------------------------- 1 and 2: packaging

interface PackagingRound {
  gitTgzMs: number
  gzip1Ms: number
  ours: Deploy
}

async function packagingSection(tree: Tree, rounds: number): Promise<{ rows: Row[]; api: Deploy[] }> {
  const world = await startWorld(['tree-app'])
  const out = path.join(os.tmpdir(), `heroku-cd-bench-${randomBytes(4).toString('hex')}.tar.gz`)
  const results: PackagingRound[] = []
  let gitTgzBytes = 0
  let gzip1Bytes = 0
  try {
    for (let round = 0; round < rounds; round++) {
      // In turns, so that a change in the machine's load hits all three alike.
      const gitTgzMs = await timeCommand('git', ['archive', '--format=tar.gz', '-o', out, tree.sha], tree.dir)
      gitTgzBytes = fs.statSync(out).size
      const gzip1Ms = await timeCommand('sh', ['-c', `git archive --format=tar ${tree.sha} | gzip -1 > ${out}`], tree.dir)
      gzip1Bytes = fs.statSync(out).size
      const ours = await deploy(world, tree.dir, tree.sha, { app: 'tree-app' })
      results.push({ gitTgzMs, gzip1Ms, ours })
      console.log(
        `  round ${round + 1}: git archive tar.gz ${seconds(gitTgzMs)}, | gzip -1 ${seconds(gzip1Ms)}, action package+upload ${seconds(ours.uploadedMs ?? NaN)} (load ${loadAverage()})`
      )
    }
  } finally {
    fs.rmSync(out, { force: true })
    await world.close()
  }
  const ours = results.map((r) => r.ours)
  const ratios = results.map((r) => (r.ours.uploadedMs ?? NaN) / r.gitTgzMs)
  const bytesRatio = ours[0].uploadBytes / gitTgzBytes
  const treeBytes = Number(execFileSync('git', ['archive', '--format=tar', tree.sha], { cwd: tree.dir, maxBuffer: 2 ** 31 }).length)
  return {
    api: ours,
    rows: [
      [
        `tree: ${mb(treeBytes)} as tar (source-like text and incompressible blobs)`,
        `git archive --format=tar.gz: ${mb(gitTgzBytes)}; git archive | gzip -1: ${mb(gzip1Bytes)}`,
        '~170 MB, ~57 MB',
        undefined
      ],
      [
        'git archive --format=tar.gz (one thread, level 6)',
        spread(
          results.map((r) => r.gitTgzMs),
          seconds
        ),
        'the yardstick',
        undefined
      ],
      [
        'git archive | gzip -1',
        spread(
          results.map((r) => r.gzip1Ms),
          seconds
        ),
        'report',
        undefined
      ],
      [
        'action: process start → tarball uploaded (package + upload)',
        spread(
          ours.map((d) => d.uploadedMs ?? NaN),
          seconds
        ),
        'report',
        undefined
      ],
      [
        'action package + upload ÷ git archive tar.gz (paired by round)',
        spread(ratios, (n) => `${n.toFixed(2)}×`),
        `≤ ${TARGETS.packageVsGitTgz}×`,
        median(ratios) <= TARGETS.packageVsGitTgz
      ],
      [
        'action bytes uploaded ÷ git archive tar.gz bytes',
        `${bytesRatio.toFixed(3)}× (${mb(ours[0].uploadBytes)})`,
        `≤ ${TARGETS.bytesVsGitTgz}×`,
        bytesRatio <= TARGETS.bytesVsGitTgz
      ],
      [
        'action whole deploy of the tree (emulator build + release included)',
        spread(
          ours.map((d) => d.wallMs),
          seconds
        ),
        'report',
        undefined
      ]
    ]
  }
}

async function levelsSection(tree: Tree): Promise<Row[]> {
  const cores = os.availableParallelism()
  const costs = await child<{ level: number; ms: number; cpuMs: number; bytes: number }[]>('--child-levels', tree.dir, tree.sha, LEVELS.join(','))
  // Packaging time from CPU time over the cores: what it takes on an idle runner, whatever else this machine runs.
  const at = (cost: (typeof costs)[number], mbPerS: number) => cost.cpuMs / cores + (cost.bytes / 1e6 / mbPerS) * 1000
  return costs.map((cost) => {
    const totals = UPLOAD_SPEEDS.map((speed) => seconds(at(cost, speed))).join(' / ')
    const best = UPLOAD_SPEEDS.every((speed) => costs.every((other) => at(cost, speed) <= at(other, speed)))
    return [
      `level ${cost.level}: packaging wall, CPU; bytes; CPU÷${cores} + upload at ${UPLOAD_SPEEDS.join('/')} MB/s`,
      `${seconds(cost.ms)}, ${seconds(cost.cpuMs)}; ${mb(cost.bytes)}; ${totals}`,
      'lowest at every speed',
      best ? true : undefined
    ]
  })
}

// ---------------------------------------------------------------- 3 to 6: the action around Heroku

async function helloSection(runs: number): Promise<{ rows: Row[]; deploys: Deploy[] }> {
  const world = await startWorld(['hello-app'])
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  const deploys: Deploy[] = []
  try {
    for (let i = 0; i < runs; i++) {
      repo.write('deploy.txt', `deploy ${i}\n`)
      deploys.push(await deploy(world, repo.dir, repo.commit(`deploy ${i}`), { app: 'hello-app' }))
    }
  } finally {
    repo.remove()
    await world.close()
  }
  const cold = deploys.map((d) => d.coldMs)
  const distBytes = fs.readdirSync(path.join(projectRoot, 'dist')).reduce((sum, file) => sum + fs.statSync(path.join(projectRoot, 'dist', file)).size, 0)
  const loaded = fs
    .readdirSync(path.join(projectRoot, 'dist'))
    .filter((file) => /\.(m?js|cjs)$/.test(file))
    .reduce((sum, file) => sum + fs.statSync(path.join(projectRoot, 'dist', file)).size, 0)
  return {
    deploys,
    rows: [
      [
        'cold start: process start → first Heroku request (hello-app)',
        spread(cold, (ms) => `${ms.toFixed(0)} ms`),
        `< ${TARGETS.coldStartMs} ms`,
        median(cold) < TARGETS.coldStartMs
      ],
      ['dist/ size (code the runner loads; with source map and licences)', `${mib(loaded)}; ${mib(distBytes)}`, 'report', undefined],
      [
        'deploy of hello-app, start to end',
        spread(
          deploys.map((d) => d.wallMs),
          seconds
        ),
        'report',
        undefined
      ],
      [
        'Platform API calls, hello-app deploy',
        spread(
          deploys.map((d) => d.apiCalls),
          String
        ),
        'report',
        undefined
      ]
    ]
  }
}

async function waitingSection(): Promise<{ rows: Row[] }> {
  const world = await startWorld(['slow-app'], (emulator) => {
    emulator.faults.buildDelayMs = 60_000
    emulator.faults.releasePhaseDelayMs = 20_000
  })
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  try {
    const slow = await deploy(world, repo.dir, repo.commit('slow'), { app: 'slow-app' })
    return {
      rows: [
        [
          'Platform API calls for a build of 60 s and a release phase of 20 s',
          `${slow.apiCalls} (the deploy took ${seconds(slow.wallMs)}; ${slow.stages})`,
          `< ${TARGETS.apiCalls}`,
          slow.apiCalls < TARGETS.apiCalls
        ]
      ]
    }
  } finally {
    repo.remove()
    await world.close()
  }
}

async function fanOutSection(rounds: number): Promise<Row[]> {
  const buildOnce = 'build-once' in actionDefaults()
  const names = Array.from({ length: 10 }, (_, i) => `fan-${String(i + 1).padStart(2, '0')}`)
  const rows: Row[] = []
  const modes = buildOnce ? ['false', 'true'] : ['false']
  for (const count of [1, 3, 10]) {
    for (const mode of modes) {
      if (count === 1 && mode === 'true') continue // one app: build-once is the same deploy
      const runs: Deploy[] = []
      for (let round = 0; round < rounds; round++) {
        const world = await startWorld(names.slice(0, count))
        const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
        try {
          runs.push(await deploy(world, repo.dir, repo.commit('fan-out'), { app: names.slice(0, count).join(','), 'build-once': mode }))
        } finally {
          repo.remove()
          await world.close()
        }
      }
      rows.push([
        `${count} app${count > 1 ? 's' : ''}${count > 1 ? (mode === 'true' ? ', build-once' : ', a build each') : ''}: uploaded; time`,
        `${mib(median(runs.map((r) => r.uploadBytes)))}; ${spread(
          runs.map((r) => r.wallMs),
          seconds
        )}`,
        'bytes constant',
        undefined
      ])
    }
  }
  if (!buildOnce) rows.push(['build-once', 'build-once: not available yet', '', undefined])
  return rows
}

async function gitPushSection(tree: Tree, api: Deploy[], rounds: number): Promise<Row[]> {
  const pushes: Deploy[] = []
  for (let round = 0; round < rounds; round++) {
    // A fresh app each round: the first push to an app sends the whole history.
    const world = await startWorld(['push-app'])
    try {
      pushes.push(await deploy(world, tree.dir, tree.sha, { app: 'push-app', strategy: 'git' }))
    } finally {
      await world.close()
    }
  }
  const commits = execFileSync('git', ['rev-list', '--count', tree.sha], { cwd: tree.dir, encoding: 'utf8' }).trim()
  return [
    [
      `api (the tarball) vs git push of the full history (${commits} commits, a full clone): sent; deploy time`,
      `api ${mib(median(api.map((d) => d.sentBytes)))}; ${spread(
        api.map((d) => d.wallMs),
        seconds
      )} — git ${mib(median(pushes.map((d) => d.sentBytes)))}; ${spread(
        pushes.map((d) => d.wallMs),
        seconds
      )} (${pushes[0].stages})`,
      'report',
      undefined
    ]
  ]
}

// ---------------------------------------------------------------- the run

async function main(): Promise<number> {
  const started = Date.now()
  const loadBefore = loadAverage()
  const rounds = quick ? 1 : 3
  // No release phase: the emulator copies a slug once fewer (the same for api and git), and time is short.
  const treeSpec: TreeSpec = quick
    ? { textMb: 20, blobMb: 4, commits: 3, packed: true, releasePhase: false }
    : { textMb: 136, blobMb: 24, commits: 5, packed: true, releasePhase: false }
  // Memory only: no release phase (one copy fewer of a 1 GiB slug in the emulator).
  const bigSpec: TreeSpec = quick ? { textMb: 16, blobMb: 112, looseCompression: 0, releasePhase: false } : { textMb: 128, blobMb: 896, looseCompression: 0, releasePhase: false }

  console.log(`Making the ~170 MB tree (${treeSpec.textMb} MiB of text, ${treeSpec.blobMb} MiB of blobs, ${treeSpec.commits} commits)...`)
  const tree = await makeTree(treeSpec)
  const rows: Row[] = []
  try {
    console.log('Packaging + upload, side by side with git archive, in turns...')
    const packaging = await packagingSection(tree, rounds)
    rows.push(...packaging.rows)
    console.log('The deflate level...')
    rows.push(...(await levelsSection(tree)))

    console.log('hello-app: cold start, deploys...')
    const hello = await helloSection(quick ? 2 : 5)

    // The slow deploy mostly sleeps: the 1 GiB tree is made meanwhile, in another process.
    console.log(`A build of 60 s and a release phase of 20 s; meanwhile a tree of ${bigSpec.textMb + bigSpec.blobMb} MiB is made...`)
    const [waiting, big] = await Promise.all([quick ? Promise.resolve({ rows: [] as Row[] }) : waitingSection(), makeTree(bigSpec)])
    console.log('Peak memory at 1 GiB...')
    let bigDeploy: Deploy
    const bigWorld = await startWorld(['big-app'])
    try {
      bigDeploy = await deploy(bigWorld, big.dir, big.sha, { app: 'big-app' })
    } finally {
      await bigWorld.close()
      fs.rmSync(big.dir, { recursive: true, force: true })
    }
    const rssOf = (deploys: Deploy[]) => median(deploys.map((d) => d.peakRssMb))
    rows.push(
      ...hello.rows,
      [
        `peak RSS of the action: hello-app / the 170 MB tree / ${bigSpec.textMb + bigSpec.blobMb} MiB`,
        `${rssOf(hello.deploys).toFixed(0)} / ${rssOf(packaging.api).toFixed(0)} / ${bigDeploy.peakRssMb.toFixed(0)} MiB`,
        `< ${TARGETS.peakRssMb} MiB, flat`,
        bigDeploy.peakRssMb < TARGETS.peakRssMb
      ],
      [`package + upload, ${bigSpec.textMb + bigSpec.blobMb} MiB tree`, `${seconds(bigDeploy.uploadedMs ?? NaN)}, ${mb(bigDeploy.uploadBytes)} uploaded`, 'report', undefined],
      ...waiting.rows
    )

    console.log('Fan-out: 1, 3, 10 apps...')
    rows.push(...(await fanOutSection(quick ? 1 : 2)))
    console.log('The usual approach: git push of the full history...')
    rows.push(...(await gitPushSection(tree, packaging.api, quick ? 1 : 2)))
  } finally {
    fs.rmSync(tree.dir, { recursive: true, force: true })
  }
  rows.splice(rows.length, 0, [
    'release detection: emulator marks the release succeeded → the action reports it (every deploy of this run)',
    spread(allDetections, (ms) => `${ms.toFixed(0)} ms`),
    `median < ${TARGETS.detectionMs} ms`,
    median(allDetections) < TARGETS.detectionMs
  ])
  const minutes = (Date.now() - started) / 60_000
  rows.push(['npm run bench, start to end', `${minutes.toFixed(1)} min`, `< ${TARGETS.benchMinutes} min on 2 cores`, minutes < TARGETS.benchMinutes])

  const report = render(rows, loadBefore)
  console.log(`\n${report}`)
  if (!quick) {
    fs.mkdirSync(path.join(projectRoot, 'bench'), { recursive: true })
    fs.writeFileSync(path.join(projectRoot, 'bench', 'results.md'), report)
    console.log('Written to bench/results.md')
  }
  return rows.every((row) => row[3] !== false) ? 0 : 1
}

function render(rows: Row[], loadBefore: string): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  const lines = [
    '# heroku-cd benchmark',
    '',
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB · ` +
      `Node ${execFileSync(node24(), ['--version'], { encoding: 'utf8' }).trim()} (the action's), ${execFileSync('git', ['--version'], { encoding: 'utf8' }).trim()}`,
    '',
    '| measure | value: median (min–max, runs) | target | met |',
    '|---|---|---|---|',
    ...rows.map(([measure, value, target, met]) => `| ${cell(measure)} | ${cell(value)} | ${cell(target)} | ${met === undefined ? '' : met ? 'yes' : '**no**'} |`),
    '',
    `Noise: load average (1/5/15 min) ${loadBefore} at the start, ${loadAverage()} at the end, on a machine shared with other work; ` +
      'times on loopback, against the emulator; ratios are taken side by side in the same run (in turns, paired by round). ' +
      'A wide min–max says the machine was busy: re-run before trusting a figure near its target.',
    ''
  ]
  return lines.join('\n')
}

// ---------------------------------------------------------------- child modes and the --strategies comparison

async function childMain(): Promise<boolean> {
  const mode = process.argv[2]
  if (mode === '--child-tree') {
    const { repo, sha } = makeBenchTree(JSON.parse(process.argv[3]) as TreeSpec)
    console.log(JSON.stringify({ dir: repo.dir, sha }))
    return true
  }
  if (mode === '--child-levels') {
    const [dir, sha, levels] = process.argv.slice(3)
    const costs = []
    // The first run also starts the threads and warms the code: measured once more, and dropped.
    const order = levels.split(',').map(Number)
    for (const level of [order[0], ...order]) {
      const started = performance.now()
      const cpu = process.cpuUsage()
      const archive = await createSourceArchive({ sourceDir: dir, sha, tempDir: os.tmpdir(), tuning: { level } })
      const ms = performance.now() - started
      // This process's threads (the deflate work); git archive, the same at every level, is not in it.
      const used = process.cpuUsage(cpu)
      fs.rmSync(archive.path)
      costs.push({ level, ms, cpuMs: (used.user + used.system) / 1000, bytes: archive.bytes })
    }
    console.log(JSON.stringify(costs.slice(1)))
    return true
  }
  return false
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

/** One deploy from a fresh depth-1 clone, as actions/checkout leaves it; time of the step and bytes Heroku received. */
async function deployFromClone(strategy: string, emulator: Emulator, apiKey: string, origin: string, sha: string): Promise<{ seconds: number; bytes: number; stages: string }> {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ws-'))
  execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${origin}`, workspace])
  const bytesBefore = emulator.bytesReceived()
  const started = Date.now()
  const run = await runAction({
    workspace,
    sha,
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

/** api vs git from depth-1 clones: first deploy and next deploy (one line changed), median of `rounds` fresh rounds. */
async function measureStrategies(rounds: number): Promise<void> {
  console.log('| app | strategy: deploy | time (stages), sent |\n|---|---|---|')
  for (const app of [
    { name: 'hello-app', extraFiles: 0, commits: 1 },
    { name: 'larger app', extraFiles: 200, commits: 10 }
  ]) {
    for (const strategy of ['api', 'git']) {
      const first: Awaited<ReturnType<typeof deployFromClone>>[] = []
      const next: Awaited<ReturnType<typeof deployFromClone>>[] = []
      for (let round = 0; round < rounds; round++) {
        const apiKey = `HRKU-bench-${randomBytes(8).toString('hex')}`
        const emulator = await startEmulator({ apiKey, apps: ['hello-app'] })
        const { repo, sha } = makeAppRepo(app.extraFiles, app.commits)
        try {
          first.push(await deployFromClone(strategy, emulator, apiKey, repo.dir, sha))
          repo.write('server.js', fs.readFileSync(path.join(repo.dir, 'server.js'), 'utf8').replace('Hello from', 'Hi from'))
          next.push(await deployFromClone(strategy, emulator, apiKey, repo.dir, repo.commit('one line')))
        } finally {
          await emulator.close()
          repo.remove()
        }
      }
      for (const [label, runs] of [
        ['first deploy', first],
        ['next deploy, one line changed', next]
      ] as const) {
        const mid = median(runs.map((r) => r.seconds))
        const stages = runs.reduce((best, r) => (Math.abs(r.seconds - mid) < Math.abs(best.seconds - mid) ? r : best)).stages
        console.log(`| ${app.name} | ${strategy}: ${label} | ${mid.toFixed(1)} s (${stages}), ${mib(median(runs.map((r) => r.bytes)))} |`)
      }
    }
  }
}

/** Staging alone, staging + promotion, promote-release alone: seconds, bytes received, API calls (medians). */
async function measurePipeline(rounds: number): Promise<void> {
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
  console.log('| step | time, sent, Platform API calls (median) |\n|---|---|')
  for (const [what, runs] of Object.entries(figures))
    console.log(
      `| ${what} (${runs.length} runs) | ${median(runs.map((r) => r.seconds)).toFixed(1)} s, ${mib(median(runs.map((r) => r.bytes)))}, ${median(runs.map((r) => r.calls))} calls |`
    )
}

async function entry(): Promise<number> {
  if (await childMain()) return 0
  if (process.argv.includes('--pipeline')) {
    console.log('staging, staging + promotion, promote-release: median of 3...')
    await measurePipeline(3)
    return 0
  }
  if (process.argv.includes('--strategies')) {
    console.log('strategy api vs git, from depth-1 clones, median of 3 fresh rounds...')
    await measureStrategies(3)
    return 0
  }
  return main()
}

entry().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error)
    process.exit(1)
  }
)
