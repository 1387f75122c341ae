/**
 * Renders the README's job-summary examples from real runs: the bundled action (dist/index.js) deploys
 * the sample app to the emulator three times (a success, a failed build, a broken /health that is
 * rolled back) and the three summaries are printed as the README shows them, each in a folded block.
 * The emulator's loopback web_url is shown as a Heroku one. Run: npx tsx scripts/summary-examples.ts
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { startEmulator } from '../emulator/index.js'
import { makeRepo } from './lib/git-repo.js'
import { cleanup, projectRoot, runAction } from './lib/run-action.js'

const APP = 'hello-app'
const SHOWN_URL = `https://${APP}-1a2b3c4d5e6f.herokuapp.com/`
const CHECKS = '/health 200 ok\n/ Hello'

async function main(): Promise<void> {
  const apiKey = `HRKU-${randomBytes(12).toString('hex')}`
  const emulator = await startEmulator({ apiKey, apps: [APP] })
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  const file = (name: string) => path.join(repo.dir, name)
  const good = { pkg: fs.readFileSync(file('package.json'), 'utf8'), server: fs.readFileSync(file('server.js'), 'utf8') }
  const deploy = async (title: string, inputs: Record<string, string> = {}) => {
    const run = await runAction({
      workspace: repo.dir,
      sha: repo.commit(title),
      inputs: { 'api-key': apiKey, app: APP, 'smoke-checks': CHECKS, 'github-deployment': 'false', ...inputs },
      env: { HEROKU_API_URL: emulator.apiUrl }
    })
    cleanup(run)
    return run.summary.split(emulator.app(APP).webUrl).join(SHOWN_URL).trim()
  }
  try {
    const examples: [string, string][] = []
    examples.push(['A success', await deploy('Add the pricing page')])

    const pkg = JSON.parse(good.pkg)
    pkg.scripts.build = `${pkg.scripts.build} && node -e "console.error('Error: Cannot find module ./pricing.css'); process.exit(1)"`
    fs.writeFileSync(file('package.json'), JSON.stringify(pkg, null, 2))
    examples.push(['A failed build', await deploy('Style the pricing page')])

    fs.writeFileSync(file('package.json'), good.pkg)
    fs.writeFileSync(file('server.js'), good.server.replace("send(res, 200, 'text/plain', 'ok')", "send(res, 500, 'text/plain', 'database pool exhausted')"))
    examples.push(['A rollback after failing smoke checks', await deploy('Switch to the new database pool', { 'smoke-timeout': '3' })])

    for (const [title, summary] of examples) {
      console.log(`<details><summary>${title} (rendered by GitHub from this Markdown)</summary>\n\n${summary}\n\n</details>\n`)
    }
  } finally {
    await emulator.close()
    repo.remove()
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
