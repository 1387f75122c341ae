'use strict'
/**
 * The pre-receive hook of the emulator's git remote (see git.ts), run by `git receive-pack` with
 * the pushed objects still in quarantine. Like Heroku's: only main and master are accepted; the
 * pushed commit is archived and built by the emulator's own build path; the build output goes to
 * stdout, which git relays to the pusher as `remote:` lines; a failed build declines the push.
 *
 * Environment (set by git.ts for http-backend, inherited through receive-pack):
 *   HEROKU_EMULATOR_HOOKS  base URL of the emulator's hook endpoint
 *   HEROKU_EMULATOR_TOKEN  the secret that endpoint wants
 *   HEROKU_EMULATOR_APP    the app this repository belongs to
 */
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')

const app = process.env.HEROKU_EMULATOR_APP
const say = (line) => process.stdout.write(`${line}\n`)

function reject(...lines) {
  for (const line of lines) say(line)
  say('')
  say(`!\tPush rejected to ${app}.`)
  say('')
  process.exit(1)
}

const updates = fs
  .readFileSync(0, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => line.split(' '))
const deploys = []
for (const [, next, ref] of updates) {
  if (ref !== 'refs/heads/main' && ref !== 'refs/heads/master') {
    reject(` !     Pushed to ${ref}: Heroku only builds pushes to main or master (git push heroku <branch>:main).`)
  }
  if (/^0+$/.test(next)) reject(` !     Deleting ${ref} is not allowed.`)
  deploys.push(next)
}
if (deploys.length === 0) process.exit(0)
if (deploys.length > 1) reject(' !     Push to main or to master, not to both at once.')
const sha = deploys[0]

// Spool the archive first: a half-written tarball must never reach the builder.
const tarball = path.join(os.tmpdir(), `heroku-emulator-push-${process.pid}-${Date.now()}.tgz`)
const archive = spawn('git', ['archive', '--format=tar.gz', '-o', tarball, sha], { stdio: ['ignore', 'inherit', 'inherit'] })
archive.on('close', (code) => {
  if (code !== 0) {
    fs.rmSync(tarball, { force: true })
    reject(` !     Could not read the pushed commit ${sha} (git archive exited with code ${code}).`)
  }
  say('Compressing source files... done.')
  say('Building source:')
  say('')
  build()
})

function build() {
  const url = `${process.env.HEROKU_EMULATOR_HOOKS}/apps/${app}/builds?version=${sha}`
  const request = http.request(
    url,
    {
      method: 'POST',
      headers: { 'X-Emulator-Token': process.env.HEROKU_EMULATOR_TOKEN, 'Content-Length': fs.statSync(tarball).size }
    },
    (response) => {
      response.on('data', (chunk) => process.stdout.write(chunk))
      response.on('end', () => {
        fs.rmSync(tarball, { force: true })
        if (response.trailers['x-build-status'] === 'succeeded') {
          say('')
          say('Verifying deploy... done.')
          process.exit(0)
        }
        reject('', ' !     Push failed', 'Verifying deploy...')
      })
    }
  )
  request.on('error', (error) => {
    fs.rmSync(tarball, { force: true })
    reject(` !     The build service could not be reached: ${error.message}`)
  })
  fs.createReadStream(tarball).pipe(request)
}
