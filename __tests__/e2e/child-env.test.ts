/**
 * No process the action starts gets its inputs: the runner hands them over as INPUT_* variables, which
 * carry the key, the GitHub token and the notification URLs. A `git` first on the action's PATH logs the
 * INPUT_* names it got and which variables hold a secret as is, then runs the real git. It is a Node
 * script, not a shell one: a shell drops names with a hyphen, INPUT_API-KEY among them, before it runs
 * anything, and would hide the very leak this looks for.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, expect, test } from '@jest/globals'
import { node24 } from '../../scripts/lib/run-action.js'
import { startWorld, type World } from './world.js'

interface GitCall {
  args: string[]
  inputs: string[]
  secrets: string[]
}

let world: World
let tmp: string
let log: string
let env: Record<string, string>

beforeAll(async () => {
  world = await startWorld()
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'heroku-cd-child-env-'))
  const bin = path.join(tmp, 'bin')
  fs.mkdirSync(bin)
  log = path.join(tmp, 'git-calls.jsonl')
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()
  const secrets = JSON.stringify([world.apiKey, world.githubToken])
  fs.writeFileSync(
    path.join(bin, 'git'),
    `#!${node24()}
const fs = require('node:fs')
const { spawnSync } = require('node:child_process')
const secrets = ${secrets}
const inputs = Object.keys(process.env).filter((name) => name.startsWith('INPUT_'))
const holding = Object.entries(process.env).filter(([, value]) => secrets.some((secret) => value.includes(secret))).map(([name]) => name)
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args: process.argv.slice(2), inputs, secrets: holding }) + '\\n')
process.exit(spawnSync(${JSON.stringify(realGit)}, process.argv.slice(2), { stdio: 'inherit' }).status ?? 1)
`,
    { mode: 0o755 }
  )
  env = { PATH: `${bin}:${process.env.PATH}`, HEROKU_GIT_URL: world.emulator.gitUrl }
})

afterAll(async () => {
  await world.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

function calls(): GitCall[] {
  return fs
    .readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as GitCall)
}

test.each(['api', 'git'])('strategy %s: every git the action runs gets no INPUT_* and no secret as is', async (strategy) => {
  fs.writeFileSync(log, '')
  const run = await world.deploy({ strategy, 'github-deployment': 'true' }, env)
  expect(run.exitCode).toBe(0)

  const made = calls()
  expect(made.map((call) => call.args[0])).toContain(strategy === 'api' ? 'archive' : 'push')
  expect(made.filter((call) => call.inputs.length > 0 || call.secrets.length > 0)).toEqual([])
})
