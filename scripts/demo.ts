/**
 * The demo: starts the local Heroku emulator and the local GitHub API, makes a git repository of
 * examples/hello-app, runs the bundled action (dist/index.js) on it exactly as a GitHub runner would
 * (gated on a `test` check that CI finishes while the action waits), and shows the GitHub deployment's
 * statuses and the app answering on its URL with the new release. Run: npm install && npm run demo
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { startGitHub } from '../emulator/github/index.js'
import { startEmulator } from '../emulator/index.js'
import { makeRepo } from './lib/git-repo.js'
import { prettyPrinter } from './lib/pretty-log.js'
import { cleanup, projectRoot, startAction } from './lib/run-action.js'

const APP = 'hello-app'
const keep = process.argv.includes('--keep') || (process.stdout.isTTY && !process.env.CI)

function say(text: string): void {
  process.stdout.write(`\x1b[1m${text}\x1b[0m\n`)
}

async function main(): Promise<number> {
  if (!fs.existsSync(path.join(projectRoot, 'dist', 'index.js'))) {
    throw new Error('dist/index.js is missing: run `npm run package` first.')
  }
  const apiKey = `HRKU-demo-${randomBytes(12).toString('hex')}`
  const emulator = await startEmulator({ apiKey, apps: [APP] })
  const githubToken = `ghs_demo${randomBytes(12).toString('hex')}`
  const github = await startGitHub({ token: githubToken })
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  try {
    const sha = repo.commit('Deploy hello-app with heroku-cd')
    say(`Heroku emulator on ${emulator.apiUrl}; app ${APP} at ${emulator.app(APP).webUrl}`)
    say(`Local GitHub API on ${github.apiUrl}; the check run 'test' of ${sha.slice(0, 7)} is still in progress`)
    const test = github.addCheckRun(sha, { name: 'test', status: 'in_progress' })
    say(`Running dist/index.js for commit ${sha.slice(0, 7)} (branch: main, required-checks: test, two smoke checks) as a GitHub runner would:\n`)
    const started = Date.now()
    const running = startAction({
      workspace: repo.dir,
      sha,
      inputs: { 'api-key': apiKey, app: APP, branch: 'main', 'required-checks': 'test', 'smoke-checks': '/health 200 ok\n/ Hello from hello-app' },
      env: { HEROKU_API_URL: emulator.apiUrl, GITHUB_API_URL: github.apiUrl },
      githubToken,
      onStdout: prettyPrinter((line) => process.stdout.write(`  ${line}\n`))
    })
    // CI finishes while the action waits for it.
    await running.waitForOutput('Required checks on').then(
      () => setTimeout(() => test.complete('success'), 1500),
      () => undefined
    )
    const run = await running.done
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    say(`\nThe step exited with ${run.exitCode} after ${seconds} s. Outputs:`)
    for (const [name, value] of Object.entries(run.outputs)) console.log(`  ${name} = ${value}`)
    say('\nJob summary (GITHUB_STEP_SUMMARY):\n')
    console.log(run.summary)
    for (const deployment of github.deployments) {
      const states = deployment.statuses.map((s) => s.state).join(' → ')
      say(
        `GitHub deployment ${deployment.id} (environment ${deployment.environment}): ${states}; log ${deployment.statuses[0]?.log_url}, URL ${deployment.statuses.at(-1)?.environment_url || '—'}`
      )
    }
    cleanup(run)
    if (run.exitCode !== 0) return 1

    const url = run.outputs['app-url']
    const answer = await fetch(url)
    say(`GET ${url} → ${answer.status}: ${(await answer.text()).trim()}`)
    if (keep) {
      say(`\nThe app keeps running at ${url} — open it in a browser. Ctrl-C stops the emulator.`)
      await new Promise((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
    }
    return answer.ok ? 0 : 1
  } finally {
    await Promise.all([emulator.close(), github.close()])
    repo.remove()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  }
)
