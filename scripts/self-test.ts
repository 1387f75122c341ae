/**
 * npm run self-test: runs .github/workflows/self-test.yml on this machine with the local workflow runner
 * (scripts/lib/workflow-runner.ts): the same file, the same steps, the action through `uses: ./` as GitHub's
 * runner runs it, against the Heroku emulator. Exits non-zero when a job fails.
 *
 *   npm run self-test [-- --job api --job git] [--keep]
 */
import * as path from 'node:path'
import { parseArgs } from 'node:util'
import { projectRoot } from './lib/run-action.js'
import { runWorkflow } from './lib/workflow-runner.js'

const { values } = parseArgs({
  options: {
    job: { type: 'string', multiple: true },
    workflow: { type: 'string', default: path.join(projectRoot, '.github', 'workflows', 'self-test.yml') },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false }
  }
})

if (values.help) {
  console.log('Usage: npm run self-test [-- --job ID ...] [--workflow FILE] [--keep]')
  process.exit(0)
}

const abort = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: cancelling the run (steps with if: always() still run)...`)
    abort.abort()
  })
}

const started = Date.now()
runWorkflow({ workflowFile: values.workflow, repository: projectRoot, jobs: values.job, keep: values.keep, signal: abort.signal }).then(
  (jobs) => {
    const seconds = ((Date.now() - started) / 1000).toFixed(0)
    console.log(`\n${path.relative(projectRoot, values.workflow)}, run locally in ${seconds} s:`)
    for (const job of jobs) console.log(`  ${job.result === 'success' ? '✓' : '✗'} ${job.id}: ${job.result}`)
    const passed = jobs.filter((job) => job.result === 'success').length
    console.log(`self-test: ${passed} passed, ${jobs.length - passed} failed`)
    process.exit(jobs.length > 0 && jobs.every((job) => job.result === 'success') ? 0 : 1)
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  }
)
