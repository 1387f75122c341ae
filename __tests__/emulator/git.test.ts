import { execFile } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { parseCgiHead } from '../../emulator/git.js'
import { git, makeRepo, type Repo } from '../../scripts/lib/git-repo.js'
import { API_KEY, HELLO_APP, packageJson, pollUntil, removeTempDirs, tempDir } from './support.js'

const APP = 'hello-app'

interface GitRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs git without blocking the event loop (the emulator answers in this process). */
function runGit(cwd: string, args: string[], key: string | undefined = API_KEY, remote?: string): Promise<GitRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }
  if (key !== undefined && remote) {
    Object.assign(env, {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `http.${remote}.extraHeader`,
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`heroku:${key}`).toString('base64')}`
    })
  }
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }))
  })
}

describe("the emulator's git remote", () => {
  let emulator: Emulator
  let repo: Repo
  let remote: string
  const push = (ref: string, key?: string, cwd = repo.dir) => runGit(cwd, ['push', '--porcelain', '--force', remote, ref], key, remote)

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY, apps: [APP] })
    remote = `${emulator.gitUrl}/${APP}.git`
    repo = makeRepo(HELLO_APP)
    repo.commit('First')
  })
  afterAll(async () => {
    await emulator.close()
    repo.remove()
    removeTempDirs()
  })

  test.each([
    ['no credentials', undefined],
    ['a wrong key', 'not-the-key']
  ])('%s: 401 with a Basic challenge of realm Heroku', async (_name, key) => {
    const headers: Record<string, string> = key ? { Authorization: `Basic ${Buffer.from(`heroku:${key}`).toString('base64')}` } : {}
    const answer = await fetch(`${remote}/info/refs?service=git-receive-pack`, { headers })
    expect(answer.status).toBe(401)
    expect(answer.headers.get('www-authenticate')).toBe('Basic realm="Heroku"')
    await answer.text()
  })

  test('an app that does not exist answers 404, which git reports', async () => {
    const result = await runGit(repo.dir, ['ls-remote', `${emulator.gitUrl}/no-such-app.git`], API_KEY, `${emulator.gitUrl}/no-such-app.git`)
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('remote: !  No such app as no-such-app.')
    expect(result.stderr).toMatch(/not found/)
  })

  test('a push to main builds in the pre-receive hook, relays the build as remote lines and releases', async () => {
    const sha = git(repo.dir, 'rev-parse', 'HEAD')
    const bytesBefore = emulator.bytesReceived()
    const result = await push(`${sha}:refs/heads/main`)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`*\t${sha}:refs/heads/main\t[new branch]`)
    const remoteLines = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('remote:'))
      .map((line) => line.trimEnd())
    expect(remoteLines.slice(0, 4)).toEqual(['remote: Compressing source files... done.', 'remote: Building source:', 'remote:', 'remote: -----> Building on the Heroku-24 stack'])
    expect(remoteLines).toContain('remote: -----> Build succeeded!')
    expect(remoteLines).toContain('remote:        Released v1')
    expect(remoteLines.at(-1)).toBe('remote: Verifying deploy... done.')
    expect(emulator.bytesReceived()).toBeGreaterThan(bytesBefore + 1000)

    const app = emulator.app(APP)
    expect(app.gitHead()).toBe(sha)
    // The same build and release path as POST /builds: a build of the commit, a release that names it.
    expect(app.builds.at(-1)).toMatchObject({ status: 'succeeded', source_blob: { version: sha, checksum: expect.stringMatching(/^SHA256:/) } })
    const release = await pollUntil(
      async () => emulator.app(APP).releases.at(-1),
      (r) => r?.status !== 'pending'
    )
    expect(release).toMatchObject({ version: 1, status: 'succeeded', description: `Deploy ${sha.slice(0, 8)}` })
    const version = await (await fetch(new URL('version', app.webUrl))).json()
    expect(version).toMatchObject({ commit: sha, release: 'v1' })
  })

  test('git can fetch from the remote (upload-pack): a clone gets what was pushed', async () => {
    const dir = path.join(tempDir(), 'clone')
    const result = await runGit(path.dirname(dir), ['clone', '--quiet', remote, dir], API_KEY, remote)
    expect(result.code).toBe(0)
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(emulator.app(APP).gitHead())
  })

  test('pushing the same commit again is up to date and builds nothing', async () => {
    const builds = emulator.app(APP).builds.length
    const result = await push('HEAD:refs/heads/main')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('[up to date]')
    expect(emulator.app(APP).builds).toHaveLength(builds)
  })

  test('a push to another branch is refused, as Heroku builds only main and master', async () => {
    const result = await push('HEAD:refs/heads/feature')
    expect(result.code).not.toBe(0)
    expect(result.stdout).toContain('[remote rejected] (pre-receive hook declined)')
    expect(result.stderr).toContain('remote:  !     Pushed to refs/heads/feature: Heroku only builds pushes to main or master')
    expect(result.stderr).toContain(`remote: !\tPush rejected to ${APP}.`)
  })

  test('a failing build declines the push with Heroku-like lines; main and the app are unchanged', async () => {
    const before = emulator.app(APP).gitHead()
    repo.write('package.json', packageJson({ build: 'echo "compile error" >&2; exit 2', start: 'node server.js' }))
    const sha = repo.commit('Break the build')
    const result = await push(`${sha}:refs/heads/main`)
    expect(result.code).not.toBe(0)
    expect(result.stdout).toContain('!\t' + `${sha}:refs/heads/main\t[remote rejected] (pre-receive hook declined)`)
    for (const line of [
      'remote:  !     Build failed: npm run build exited with code 2',
      'remote:  !     Push rejected, failed to compile Node.js app.',
      'remote:  !     Push failed',
      'remote: Verifying deploy...',
      `remote: !\tPush rejected to ${APP}.`
    ]) {
      expect(result.stderr).toContain(line)
    }
    expect(emulator.app(APP).gitHead()).toBe(before)
    expect(emulator.app(APP).builds.at(-1)?.status).toBe('failed')
    expect(emulator.app(APP).releases).toHaveLength(1)
  })

  test('a push from a shallow clone is refused (shallow update not allowed), as on Heroku', async () => {
    repo.write('package.json', fs.readFileSync(path.join(HELLO_APP, 'package.json'), 'utf8'))
    repo.commit('Fix the build')
    const dir = path.join(tempDir(), 'shallow')
    await runGit(repo.dir, ['clone', '--quiet', '--depth', '1', `file://${repo.dir}`, dir], undefined)
    const result = await push('HEAD:refs/heads/main', API_KEY, dir)
    expect(result.code).not.toBe(0)
    expect(result.stdout).toContain('[remote rejected] (shallow update not allowed)')
  })

  test('injected faults hit git URLs too', async () => {
    emulator.faults.failNext(1, 503, { path: /\.git\/info\/refs/ })
    const result = await push('HEAD:refs/heads/main')
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('The requested URL returned error: 503')
  })
})

test('the CGI head of git http-backend: Status sets the status, other lines are headers', () => {
  expect(parseCgiHead('Status: 404 Not Found\r\nContent-Type: text/plain\r\nExpires: Fri, 01 Jan 1980 00:00:00 GMT')).toEqual({
    status: 404,
    headers: { 'Content-Type': 'text/plain', Expires: 'Fri, 01 Jan 1980 00:00:00 GMT' }
  })
  expect(parseCgiHead('Content-Type: application/x-git-receive-pack-advertisement\n')).toEqual({
    status: 200,
    headers: { 'Content-Type': 'application/x-git-receive-pack-advertisement' }
  })
})
