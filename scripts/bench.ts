/**
 * The benchmark: speed and memory targets, measured here rather than in timed tests.
 *   npm run bench                  # 1 GiB tree
 *   npm run bench -- --size-mb 256 # quicker
 * 1. Packaging + upload of a large repository (incompressible files): peak RSS of the process that
 *    does it must stay flat (target below), whatever the size: the archive is streamed, never held.
 * 2. A deploy of examples/hello-app to the emulator through dist/index.js: wall time, median of 3.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmulator } from '../emulator/index.js'
import { createSourceArchive, uploadSource } from '../src/heroku/source.js'
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

interface StrategyFigures {
  seconds: number[]
  /** Request bytes the action sent to Heroku (bodies: uploads, pushes, JSON), per deploy. */
  bytesSent: number
}

/** The same app deployed by each strategy: wall time and bytes sent, the figures README's "git or api?" quotes. */
async function measureStrategies(times: number): Promise<Record<'api' | 'git', StrategyFigures>> {
  const apiKey = `HRKU-bench-${randomBytes(8).toString('hex')}`
  const emulator = await startEmulator({ apiKey, apps: ['hello-app'] })
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  const figures = { api: { seconds: [] as number[], bytesSent: 0 }, git: { seconds: [] as number[], bytesSent: 0 } }
  try {
    for (let i = 0; i < times; i++) {
      for (const strategy of ['api', 'git'] as const) {
        repo.write('deploy.txt', `${strategy} ${i}\n`)
        const sha = repo.commit(`${strategy} ${i}`)
        const first = emulator.requests.length
        const started = Date.now()
        const run = await runAction({ workspace: repo.dir, sha, inputs: { 'api-key': apiKey, app: 'hello-app', strategy }, env: { HEROKU_API_URL: emulator.apiUrl, HEROKU_GIT_URL: emulator.apiUrl } })
        figures[strategy].seconds.push((Date.now() - started) / 1000)
        cleanup(run)
        if (run.exitCode !== 0) throw new Error(`${strategy} deploy failed`)
        // The emulator's own git hook calls its API too; those are Heroku's work, not bytes the action sent.
        const sent = emulator.requests.slice(first).filter((r) => r.headers['user-agent'] !== 'heroku-emulator-git-hook')
        figures[strategy].bytesSent += sent.reduce((sum, r) => sum + (Number(r.headers['content-length']) || Buffer.byteLength(r.body)), 0)
      }
    }
  } finally {
    await emulator.close()
    repo.remove()
  }
  figures.api.bytesSent /= times
  figures.git.bytesSent /= times
  return figures
}

async function measureDeploys(times: number): Promise<number[]> {
  const apiKey = `HRKU-bench-${randomBytes(8).toString('hex')}`
  const emulator = await startEmulator({ apiKey, apps: ['hello-app'] })
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  const seconds: number[] = []
  try {
    for (let i = 0; i < times; i++) {
      repo.write('deploy.txt', `deploy ${i}\n`)
      const sha = repo.commit(`deploy ${i}`)
      const started = Date.now()
      const run = await runAction({ workspace: repo.dir, sha, inputs: { 'api-key': apiKey, app: 'hello-app' }, env: { HEROKU_API_URL: emulator.apiUrl } })
      seconds.push((Date.now() - started) / 1000)
      cleanup(run)
      if (run.exitCode !== 0) throw new Error(`deploy ${i} failed: ${run.stdout.split('\n').find((l) => l.startsWith('::error::'))}`)
    }
  } finally {
    await emulator.close()
    repo.remove()
  }
  return seconds
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
  console.log('Deploying the same app by each strategy, 3 times each...')
  const strategies = await measureStrategies(3)
  const mid = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

  const rows: [string, string, string, boolean][] = [
    [`package + upload ${sizeMb} MiB: peak RSS`, `${pack.maxRssMb.toFixed(0)} MiB`, `< ${PEAK_RSS_TARGET_MB} MiB`, pack.maxRssMb < PEAK_RSS_TARGET_MB],
    ['same process doing nothing (tsx + modules loaded): peak RSS', `${baseline.maxRssMb.toFixed(0)} MiB`, 'report', true],
    [`package ${sizeMb} MiB (git archive + gzip + sha256)`, `${(pack.packagedMs / 1000).toFixed(1)} s (${(pack.bytes / 1048576).toFixed(0)} MiB gz)`, 'report', true],
    [`package + upload ${sizeMb} MiB`, `${(pack.totalMs / 1000).toFixed(1)} s`, 'report', true],
    ['strategy api: deploy time (median of 3) / bytes sent per deploy', `${mid(strategies.api.seconds).toFixed(1)} s / ${(strategies.api.bytesSent / 1024).toFixed(1)} KiB`, 'report', true],
    ['strategy git: deploy time (median of 3) / bytes sent per deploy', `${mid(strategies.git.seconds).toFixed(1)} s / ${(strategies.git.bytesSent / 1024).toFixed(1)} KiB`, 'report', true],
    ['deploy of hello-app to the emulator (median of 3)', `${median.toFixed(1)} s (${deploys.map((s) => s.toFixed(1)).join(', ')})`, `< ${DEPLOY_TARGET_S} s`, median < DEPLOY_TARGET_S]
  ]
  console.log(`\n| measure | value | target | ok |\n|---|---|---|---|`)
  for (const [name, value, target, ok] of rows) console.log(`| ${name} | ${value} | ${target} | ${ok ? 'yes' : 'NO'} |`)
  console.log(`\nMachine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`)
  return rows.every((row) => row[3]) ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  }
)
