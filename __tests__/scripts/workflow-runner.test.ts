/**
 * The local workflow runner (npm run self-test) against small workflows of its own: a local action that
 * writes outputs and masks a value, file commands, continue-on-error, if: always(), a step that fails,
 * a process left behind; and what it must refuse rather than run differently from GitHub.
 */
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { makeRepo, type Repo } from '../../scripts/lib/git-repo.js'
import { type JobResult, loadWorkflow, runWorkflow } from '../../scripts/lib/workflow-runner.js'

const ACTION_YML = `name: probe
inputs:
  greeting:
    default: hello
  token:
    default: \${{ github.token }}
  fail:
    default: 'false'
runs:
  using: node24
  main: index.js
`

// A JavaScript action as the runner runs one: inputs from INPUT_*, outputs through GITHUB_OUTPUT.
const INDEX_JS = `const fs = require('node:fs')
const out = (name, value) => fs.appendFileSync(process.env.GITHUB_OUTPUT, name + '=' + value + '\\n')
console.log('::add-mask::s3cr3t-value')
console.log('the secret is s3cr3t-value')
out('greeting', process.env.INPUT_GREETING)
out('token-set', String(process.env.INPUT_TOKEN.startsWith('ghs_')))
out('npm-vars', String(Object.keys(process.env).filter((k) => k.startsWith('npm_')).length))
out('cwd-is-workspace', String(process.cwd() === process.env.GITHUB_WORKSPACE))
fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, '## probe ran\\n')
if (process.env.INPUT_FAIL === 'true') {
  console.log('::error::broken on purpose')
  process.exit(1)
}
`

let repo: Repo
let pidFile: string

beforeAll(() => {
  repo = makeRepo()
  repo.write('action.yml', ACTION_YML)
  repo.write('index.js', INDEX_JS)
  pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'runner-test-')), 'orphan.pid')
  repo.write(
    '.github/workflows/probe.yml',
    `name: probe
on: push
defaults:
  run:
    shell: bash
jobs:
  probe:
    runs-on: ubuntu-latest
    env:
      JOB_VAR: from-the-job
    steps:
      - uses: actions/checkout@v5
      - id: prepare
        run: |
          echo "FROM_FILE=set-by-a-step" >> "$GITHUB_ENV"
          echo "answer=42" >> "$GITHUB_OUTPUT"
          sleep 600 >/dev/null 2>&1 &
          echo $! > ${pidFile}
      - id: action
        uses: ./
        with:
          greeting: hi \${{ steps.prepare.outputs.answer }} \${{ env.FROM_FILE }} \${{ env.JOB_VAR }}
      - id: broken
        continue-on-error: true
        uses: ./
        with:
          fail: true
      - id: after
        env:
          OUTCOME: \${{ steps.broken.outcome }}
          CONCLUSION: \${{ steps.broken.conclusion }}
        run: printf 'outcome=%s\\nconclusion=%s\\n' "$OUTCOME" "$CONCLUSION" >> "$GITHUB_OUTPUT"
      - id: pipe
        continue-on-error: true
        run: false | true
      - id: fails
        run: exit 3
      - id: skipped
        run: echo never
      - id: cleanup
        if: always()
        run: printf 'status=%s\\nskipped=%s\\n' "\${{ job.status }}" "\${{ steps.skipped.outcome }}" >> "$GITHUB_OUTPUT"
`
  )
  repo.commit('probe')
})

afterAll(() => {
  repo.remove()
  fs.rmSync(path.dirname(pidFile), { recursive: true, force: true })
})

/** Running: it exists and is not a zombie waiting for init to reap it. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

describe('runWorkflow', () => {
  let job: JobResult

  beforeAll(async () => {
    const [result] = await runWorkflow({ workflowFile: path.join(repo.dir, '.github/workflows/probe.yml'), repository: repo.dir, write: () => undefined })
    job = result
  })

  const step = (id: string) => job.steps.find((s) => s.id === id)

  test('runs a local action with its defaults and with:, evaluated against outputs and GITHUB_ENV', () => {
    expect(step('action')).toMatchObject({
      outcome: 'success',
      outputs: { greeting: 'hi 42 set-by-a-step from-the-job', 'token-set': 'true', 'npm-vars': '0', 'cwd-is-workspace': 'true' }
    })
    expect(job.summary).toContain('## probe ran')
  })

  test('continue-on-error: the outcome is failure, the conclusion success, and the job goes on', () => {
    expect(step('broken')).toMatchObject({ outcome: 'failure', conclusion: 'success' })
    expect(step('after')?.outputs).toEqual({ outcome: 'failure', conclusion: 'success' })
  })

  test('a failing step fails the job, skips the next ones, and if: always() still runs', () => {
    expect(step('pipe')).toMatchObject({ outcome: 'failure' }) // shell: bash has pipefail
    expect(step('fails')).toMatchObject({ outcome: 'failure', conclusion: 'failure' })
    expect(step('skipped')).toMatchObject({ outcome: 'skipped' })
    expect(step('cleanup')?.outputs).toEqual({ status: 'failure', skipped: 'skipped' })
    expect(job.result).toBe('failure')
  })

  test('masks what a step masked, in every later line', () => {
    expect(job.log.join('\n')).toContain('the secret is ***')
    expect(job.log.join('\n')).not.toContain('s3cr3t-value')
    expect(job.log.join('\n')).toContain('ERROR: broken on purpose')
  })

  test('ends the processes a step left running, as the runner does at the end of a job', () => {
    const pid = Number(fs.readFileSync(pidFile, 'utf8'))
    expect(pid).toBeGreaterThan(0)
    expect(alive(pid)).toBe(false)
  })
})

describe('what the local runner refuses', () => {
  const workflow = (steps: string, extra = ''): string => {
    const file = path.join(repo.dir, '.github/workflows/other.yml')
    fs.writeFileSync(file, `on: push\njobs:\n  one:\n    runs-on: ubuntu-latest\n${extra}    steps:\n${steps}`)
    return file
  }

  test('a workflow key it does not implement', () => {
    expect(() => loadWorkflow(workflow('      - run: true\n', '    strategy:\n      matrix:\n        node: [22, 24]\n'))).toThrow(/job 'one'.*'strategy'/)
    expect(() => loadWorkflow(workflow('      - run: true\n        working_directory: x\n'))).toThrow(/step 1.*'working_directory'/)
  })

  test('a remote action other than checkout and setup-node, and a Node version it does not have', async () => {
    const [job] = await runWorkflow({
      workflowFile: workflow('      - uses: actions/setup-node@v5\n        with:\n          node-version: 18\n      - if: always()\n        uses: octo-org/other@v1\n'),
      repository: repo.dir,
      write: () => undefined
    })
    expect(job.result).toBe('failure')
    expect(job.steps.map((s) => s.outcome)).toEqual(['failure', 'failure'])
    expect(job.log.join('\n')).toMatch(/node-version '18'; the local runner has Node v24/)
    expect(job.log.join('\n')).toContain('the local runner cannot run octo-org/other@v1')
  })
})
