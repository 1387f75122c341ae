/**
 * The local GitHub's compare and commit → pull request answers: from a real repository's history,
 * shaped as GitHub's description says (every answer is validated; the tests expect no violation).
 */
import { type LocalGitHub, startGitHub } from '../../emulator/github/index.js'
import { RestDescription } from '../../emulator/github/openapi.js'
import { githubUser, makeRepo, mergeBranch, type Repo } from '../../scripts/lib/git-repo.js'

const TOKEN = 'ghs_code'
const REPO = '/repos/octo-org/hello-app'
let github: LocalGitHub
let repo: Repo
const c: Record<string, string> = {}

beforeAll(async () => {
  repo = makeRepo()
  repo.write('README.md', 'hello\n')
  c.initial = repo.commit('Initial commit')
  c.merge = mergeBranch(repo, 'web', 'Merge pull request #7 from octo-org/web', () => {
    repo.write('web.js', '1\n')
    c.web1 = repo.commit('Add the web front end', githubUser('alice', 'Alice Liddell'))
    repo.write('web.js', '2\n')
    c.web2 = repo.commit('Style the front end', githubUser('alice', 'Alice Liddell'))
  })
  repo.write('login.js', 'fixed\n')
  c.fix = repo.commit('Fix the login (#8)', { name: 'Bob', email: '4242+bob@users.noreply.github.com' })
  repo.write('VERSION', '2\n')
  c.bump = repo.commit('Bump the version')
  repo.git('checkout', '-q', '-b', 'side', c.web1)
  c.side = repo.commit('Side work', githubUser('carol'))
  repo.git('checkout', '-q', 'main')
  github = await startGitHub({ token: TOKEN, gitDir: repo.dir })
  github.setPullRequest({ number: 7, title: 'Web front end', user: 'alice', head: c.web2, commits: [c.web1, c.web2], mergeCommit: c.merge })
  github.setPullRequest({ number: 8, title: 'Fix the login', user: 'bob', head: c.fix, mergeCommit: c.fix })
  github.setPullRequest({ number: 9, title: 'Work in progress', user: 'carol', head: c.web1 })
})
afterAll(async () => {
  await github.close()
  repo.remove()
})
afterEach(() => {
  expect(github.violations.splice(0)).toEqual([])
  github.permissions.contents = 'read'
  github.permissions.pull_requests = 'read'
})

// The answers are JSON of many shapes, read field by field by the assertions (a wrong field fails them).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(path: string): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(`${github.apiUrl}${path}`, { headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/vnd.github+json' } })
  return { status: response.status, headers: response.headers, json: await response.json() }
}

const shas = (commits: { sha: string }[]) => commits.map((commit) => commit.sha)

test('compare: the commits after the base, oldest first, with their authors and parents', async () => {
  const { status, json } = await call(`${REPO}/compare/${c.initial}...${c.bump}`)
  expect(status).toBe(200)
  expect(json).toMatchObject({ status: 'ahead', ahead_by: 5, behind_by: 0, total_commits: 5, html_url: `https://github.com/octo-org/hello-app/compare/${c.initial}...${c.bump}` })
  expect(shas(json.commits)).toEqual([c.web1, c.web2, c.merge, c.fix, c.bump])
  expect(json.base_commit.sha).toBe(c.initial)
  expect(json.merge_base_commit.sha).toBe(c.initial)
  const [web1, , merge, fix, bump] = json.commits
  expect(web1.author.login).toBe('alice')
  expect(web1.commit).toMatchObject({ message: 'Add the web front end', author: { name: 'Alice Liddell', email: 'alice@users.noreply.github.com' } })
  expect(fix.author.login).toBe('bob')
  // An email GitHub cannot link to an account leaves `author` null; the git identity is still there.
  expect(bump.author).toBeNull()
  expect(bump.commit.author.name).toBe('Octo Cat')
  expect(merge.parents.map((p: { sha: string }) => p.sha)).toEqual([c.initial, c.web2])
})

test('compare: behind, identical, diverged, and refs by branch name', async () => {
  expect((await call(`${REPO}/compare/${c.bump}...${c.merge}`)).json).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 2, commits: [] })
  expect((await call(`${REPO}/compare/${c.fix}...${c.fix}`)).json).toMatchObject({ status: 'identical', ahead_by: 0, behind_by: 0 })
  const diverged = await call(`${REPO}/compare/${c.bump}...side`)
  expect(diverged.json).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 4, merge_base_commit: { sha: c.web1 } })
  expect(shas(diverged.json.commits)).toEqual([c.side])
  expect((await call(`${REPO}/compare/${c.web1}...main`)).json).toMatchObject({ status: 'ahead', ahead_by: 4 })
})

test('compare: paged with per_page and page, with a Link header; unknown commits are 404', async () => {
  const page3 = await call(`${REPO}/compare/${c.initial}...${c.bump}?per_page=2&page=3`)
  expect(page3.json.total_commits).toBe(5)
  expect(shas(page3.json.commits)).toEqual([c.bump])
  expect(page3.headers.get('link')).toContain('page=1>; rel="first"')
  const page1 = await call(`${REPO}/compare/${c.initial}...${c.bump}?per_page=2&page=1`)
  expect(shas(page1.json.commits)).toEqual([c.web1, c.web2])
  expect(page1.headers.get('link')).toContain('page=3>; rel="last"')
  expect((await call(`${REPO}/compare/${'d'.repeat(40)}...${c.bump}`)).status).toBe(404)
  expect((await call(`${REPO}/compare/${c.initial}..${c.bump}`)).status).toBe(404)
})

test('a commit → the merged pull request that brought it, else the open ones that hold it', async () => {
  const numbers = async (sha: string) => ((await call(`${REPO}/commits/${sha}/pulls`)).json as { number: number }[]).map((pr) => pr.number)
  expect(await numbers(c.web1)).toEqual([7])
  expect(await numbers(c.merge)).toEqual([7])
  expect(await numbers(c.fix)).toEqual([8])
  expect(await numbers(c.bump)).toEqual([])
  const [pr] = (await call(`${REPO}/commits/${c.fix}/pulls`)).json
  expect(pr).toMatchObject({
    number: 8,
    title: 'Fix the login',
    state: 'closed',
    user: { login: 'bob' },
    html_url: 'https://github.com/octo-org/hello-app/pull/8',
    merge_commit_sha: c.fix
  })
  expect(pr.merged_at).toEqual(expect.any(String))
  expect((await call(`${REPO}/commits/${'d'.repeat(40)}/pulls`)).status).toBe(422)
})

test('compare needs contents: read; pull requests need pull-requests: read', async () => {
  github.permissions.pull_requests = 'none'
  expect((await call(`${REPO}/commits/${c.fix}/pulls`)).status).toBe(403)
  expect((await call(`${REPO}/compare/${c.initial}...${c.bump}`)).status).toBe(200)
  github.permissions.contents = 'none'
  const denied = await call(`${REPO}/compare/${c.initial}...${c.bump}`)
  expect(denied.status).toBe(403)
  expect(denied.json.message).toBe('Resource not accessible by integration')
})

test('the validator checks these answers too: a commit author that is neither a user, {} nor null is caught', async () => {
  const rest = new RestDescription()
  const found = rest.find('GET', `${REPO}/compare/${c.initial}...${c.bump}`)
  if (!found) throw new Error('no compare operation')
  const { json } = await call(`${REPO}/compare/${c.initial}...${c.bump}`)
  expect(rest.validateResponse(found.operation, 200, json)).toEqual([])
  json.commits[0].author = 'alice'
  delete json.commits[1].sha
  const problems = rest.validateResponse(found.operation, 200, json)
  expect(problems).toEqual(expect.arrayContaining([expect.stringContaining('/commits/0/author'), "200 body /commits/1 must have required property 'sha'"]))
})
