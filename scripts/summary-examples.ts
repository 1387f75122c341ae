/**
 * Renders the README's job-summary examples from real runs: the bundled action (dist/index.js) deploys
 * the sample app to the emulator and the local GitHub (whose compare and pull requests come from the
 * example repository's history): a first release (not shown), then a success that brings two pull
 * requests, a failed build, a broken /health that is rolled back; the three summaries are printed as
 * the README shows them, each in a folded block. The emulator's loopback web_url is shown as a Heroku
 * one. Run: npx tsx scripts/summary-examples.ts
 */
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { type PullRequestSpec, startGitHub } from '../emulator/github/index.js'
import { startEmulator } from '../emulator/index.js'
import { githubUser, makeRepo, mergeBranch, type Repo } from './lib/git-repo.js'
import { cleanup, projectRoot, runAction } from './lib/run-action.js'

const APP = 'hello-app'
const SHOWN_URL = `https://${APP}-1a2b3c4d5e6f.herokuapp.com/`
const CHECKS = '/health 200 ok\n/ Hello'

async function main(): Promise<void> {
  const apiKey = `HRKU-${randomBytes(12).toString('hex')}`
  const emulator = await startEmulator({ apiKey, apps: [APP] })
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  const githubToken = `ghs_${randomBytes(12).toString('hex')}`
  const github = await startGitHub({ token: githubToken, gitDir: repo.dir })
  const file = (name: string) => path.join(repo.dir, name)
  const good = { pkg: fs.readFileSync(file('package.json'), 'utf8'), server: fs.readFileSync(file('server.js'), 'utf8') }
  const deploy = async (sha: string, inputs: Record<string, string> = {}) => {
    const run = await runAction({
      workspace: repo.dir,
      sha,
      inputs: { 'api-key': apiKey, app: APP, 'smoke-checks': CHECKS, 'github-deployment': 'false', ...inputs },
      env: { HEROKU_API_URL: emulator.apiUrl, GITHUB_API_URL: github.apiUrl },
      githubToken
    })
    cleanup(run)
    return run.summary.split(emulator.app(APP).webUrl).join(SHOWN_URL).trim()
  }
  try {
    await deploy(repo.commit('Start the shop'))
    const examples: [string, string][] = []
    examples.push(['A success', await deploy(landPullRequests(repo, github.setPullRequest))])

    const pkg = JSON.parse(good.pkg)
    pkg.scripts.build = `${pkg.scripts.build} && node -e "console.error('Error: Cannot find module ./pricing.css'); process.exit(1)"`
    fs.writeFileSync(file('package.json'), JSON.stringify(pkg, null, 2))
    examples.push(['A failed build', await deploy(repo.commit('Style the pricing page'))])

    fs.writeFileSync(file('package.json'), good.pkg)
    fs.writeFileSync(file('server.js'), good.server.replace("send(res, 200, 'text/plain', 'ok')", "send(res, 500, 'text/plain', 'database pool exhausted')"))
    examples.push(['A rollback after failing smoke checks', await deploy(repo.commit('Switch to the new database pool'), { 'smoke-timeout': '3' })])

    for (const [title, summary] of examples) {
      console.log(`<details><summary>${title} (rendered by GitHub from this Markdown)</summary>\n\n${summary}\n\n</details>\n`)
    }
  } finally {
    await Promise.all([emulator.close(), github.close()])
    repo.remove()
  }
}

/** Alice's pricing page merged as #12, Bob's fix squashed as #13: the commits the success brings. Answers the new head. */
function landPullRequests(repo: Repo, setPullRequest: (spec: PullRequestSpec) => void): string {
  const alice = githubUser('alice', 'Alice Liddell')
  let page = ''
  let plans = ''
  const merge = mergeBranch(repo, 'pricing', 'Merge pull request #12 from octo-org/pricing', () => {
    repo.write('public/pricing.html', '<h1>Pricing</h1>\n')
    page = repo.commit('Add the pricing page', alice)
    repo.write('public/pricing.html', '<h1>Pricing</h1>\n<p>Three plans</p>\n')
    plans = repo.commit('List the three plans', alice)
  })
  repo.write('checkout.txt', 'total includes tax\n')
  const fix = repo.commit('Fix the checkout total (#13)', githubUser('bob', 'Bob'))
  setPullRequest({ number: 12, title: 'Pricing page', user: 'alice', head: plans, commits: [page, plans], mergeCommit: merge })
  setPullRequest({ number: 13, title: 'Fix the checkout total', user: 'bob', head: fix, mergeCommit: fix })
  return fix
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
