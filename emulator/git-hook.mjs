// The pre-receive hook of an app's bare repository in the emulator: Heroku's builder for git pushes.
// For a push to main (or master) it archives the pushed commit (the quarantined objects are visible
// here), builds it through the emulator's own Sources + Builds API, and relays the build output to
// stdout, which git shows the pusher as `remote:` lines. A failed build declines the push.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const api = process.env.HEROKU_EMULATOR_API
const app = process.env.HEROKU_EMULATOR_APP
const headers = {
  Accept: 'application/vnd.heroku+json; version=3',
  Authorization: `Bearer ${process.env.HEROKU_EMULATOR_KEY}`,
  'Content-Type': 'application/json',
  'User-Agent': 'heroku-emulator-git-hook'
}
const say = (line) => process.stdout.write(`${line}\n`)

async function call(method, path, body) {
  const response = await fetch(`${api}${path}`, { method, headers, body: body && JSON.stringify(body) })
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`)
  return response.json()
}

async function build(sha) {
  say('-----> Building source:')
  const tarball = execFileSync('git', ['archive', '--format=tar.gz', sha], { maxBuffer: 1 << 30 })
  const { source_blob: blob } = await call('POST', '/sources')
  const put = await fetch(blob.put_url, { method: 'PUT', body: tarball, headers: { 'Content-Type': '' } })
  if (!put.ok) throw new Error(`upload answered ${put.status}`)
  const created = await call('POST', `/apps/${app}/builds`, { source_blob: { url: blob.get_url, version: sha } })
  for (let tries = 0; ; tries++) {
    const stream = await fetch(created.output_stream_url)
    if (stream.status === 404 && tries < 100) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      continue
    }
    process.stdout.write(await stream.text())
    break
  }
  for (;;) {
    const current = await call('GET', `/apps/${app}/builds/${created.id}`)
    if (current.status !== 'pending') return current.status === 'succeeded'
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const updates = readFileSync(0, 'utf8').trim().split('\n').filter(Boolean).map((line) => line.split(' '))
let ok = true
for (const [, sha, ref] of updates) {
  if (ref !== 'refs/heads/main' && ref !== 'refs/heads/master') {
    say(` !     Pushed to ${ref}: Heroku builds only the main or master branch.`)
    ok = false
  } else if (/^0+$/.test(sha)) {
    say(` !     Deleting ${ref} is not allowed.`)
    ok = false
  } else {
    try {
      ok = (await build(sha)) && ok
    } catch (error) {
      say(` !     ${error.message}`)
      ok = false
    }
  }
}
if (ok) {
  say('Verifying deploy... done.')
} else {
  say(' !     Push rejected to ' + app + '.')
}
process.exit(ok ? 0 : 1)
