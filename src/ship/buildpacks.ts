import type { HerokuApi } from '../heroku/api.js'
import type { Log } from '../log.js'

// A registry name (heroku/nodejs), or its URN form (urn:buildpack:heroku/nodejs).
const REGISTRY_NAME = /^(urn:buildpack:)?[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9._-]*$/i

/**
 * Parses the `buildpacks` input: one buildpack a line, in order: an http(s) URL (without credentials:
 * the URL is logged and sent to Heroku as it is) or a registry name such as `heroku/nodejs`.
 */
export function parseBuildpacks(input: string, inputName: string): { buildpacks: string[]; problems: string[] } {
  const buildpacks: string[] = []
  const problems: string[] = []
  input.split('\n').forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const where = `Input '${inputName}' line ${index + 1}`
    const problem = buildpackProblem(line)
    if (problem) problems.push(`${where} ${problem}`)
    else if (buildpacks.includes(line)) problems.push(`${where} repeats ${line}: list each buildpack once.`)
    else buildpacks.push(line)
  })
  return { buildpacks, problems }
}

function buildpackProblem(line: string): string | undefined {
  if (REGISTRY_NAME.test(line)) return undefined
  const expected = 'expected a buildpack URL (https://…) or a registry name such as heroku/nodejs'
  let url: URL
  try {
    url = new URL(line)
  } catch {
    return `('${line.length > 80 ? `${line.slice(0, 80)}…` : line}') is not a buildpack: ${expected}.`
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `has a ${url.protocol.replace(/:$/, '')} URL: ${expected}.`
  if (url.username || url.password) return 'has a URL with credentials: a buildpack URL is sent to Heroku and shown in the log; use a public URL.'
  return undefined
}

/**
 * strategy git: a push builds with the app's own buildpacks, so they are set on the app before the
 * push (in order, replacing what was set). That lasts beyond this deploy, and the log says so.
 */
export async function installBuildpacks(api: HerokuApi, log: Log, app: string, buildpacks: readonly string[]): Promise<void> {
  if (buildpacks.length === 0) return
  await api.setBuildpacks(app, buildpacks)
  log.info(`Set the buildpacks of ${app} to ${buildpacks.join(', ')}. With strategy git they are the app's own, so later deploys and pushes use them too.`)
}
