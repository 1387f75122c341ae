/**
 * The demo: starts the local Heroku emulator, makes a git repository of examples/hello-app, runs the
 * bundled action (dist/index.js) on it exactly as a GitHub runner would, and shows the app answering
 * on its URL with the new release. Run: npm install && npm run demo
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { startEmulator } from '../emulator/index.js'
import { makeRepo } from './lib/git-repo.js'
import { prettyPrinter } from './lib/pretty-log.js'
import { cleanup, projectRoot, runAction } from './lib/run-action.js'

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
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  try {
    const sha = repo.commit('Deploy hello-app with heroku-cd')
    say(`Heroku emulator on ${emulator.apiUrl}; app ${APP} at ${emulator.app(APP).webUrl}`)
    say(`Running dist/index.js for commit ${sha.slice(0, 7)} as a GitHub runner would:\n`)
    const started = Date.now()
    const run = await runAction({
      workspace: repo.dir,
      sha,
      inputs: { 'api-key': apiKey, app: APP, 'smoke-checks': '/health 200 ok\n/ Hello from hello-app' },
      env: { HEROKU_API_URL: emulator.apiUrl },
      onStdout: prettyPrinter((line) => process.stdout.write(`  ${line}\n`))
    })
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    say(`\nThe step exited with ${run.exitCode} after ${seconds} s. Outputs:`)
    for (const [name, value] of Object.entries(run.outputs)) console.log(`  ${name} = ${value}`)
    say('\nJob summary (GITHUB_STEP_SUMMARY):\n')
    console.log(run.summary)
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
    await emulator.close()
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
