/**
 * Extracts the GitHub REST operations heroku-cd calls, and every component they reference, from
 * GitHub's official OpenAPI description (the npm package @octokit/openapi) into a small committed
 * fixture: emulator/github/rest-description.json. The local GitHub API of the end-to-end tests
 * validates every request it gets and every answer it gives against that fixture.
 *
 * The package is 385 MB unpacked, so it is never a dependency: this script `npm pack`s the pinned
 * version into a temporary folder, reads the one file it needs, and removes the folder.
 *
 *   npm run github-openapi            # rewrites the fixture from the pinned version
 *
 * Add an operation here when the action starts calling a new endpoint, then run the script.
 */
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { projectRoot } from './lib/run-action.js'

const PACKAGE = '@octokit/openapi'
const VERSION = '23.0.2'
const DESCRIPTION = 'package/generated/api.github.com.json'
export const FIXTURE = path.join(projectRoot, 'emulator', 'github', 'rest-description.json')

/** The operations the action calls (method and path, as the description spells them). */
export const OPERATIONS: readonly [method: string, path: string][] = [
  ['post', '/repos/{owner}/{repo}/deployments'],
  // Before a create whose answer was lost is sent again: the deployment it may have made.
  ['get', '/repos/{owner}/{repo}/deployments'],
  ['post', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses'],
  ['get', '/repos/{owner}/{repo}/commits/{ref}/check-runs'],
  ['get', '/repos/{owner}/{repo}/commits/{ref}/status'],
  // Branch nodes: who holds each node (the pull requests' deployments, listed above), and whether the holder is still open.
  ['get', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses'],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}'],
  // What a deploy brings: the commits since the live one, and the pull request each came with.
  ['get', '/repos/{owner}/{repo}/compare/{basehead}'],
  ['get', '/repos/{owner}/{repo}/commits/{commit_sha}/pulls']
]

// Prose, samples and GitHub's own metadata: large, and never read by a validator.
const DOCUMENTATION_KEYS = new Set(['description', 'summary', 'example', 'examples', 'externalDocs', 'x-github', 'x-octokit'])

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

function main(): void {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'octokit-openapi-'))
  try {
    execFileSync('npm', ['pack', `${PACKAGE}@${VERSION}`, '--silent', '--pack-destination', temp], { stdio: ['ignore', 'ignore', 'inherit'] })
    const tarball = fs.readdirSync(temp).find((name) => name.endsWith('.tgz'))
    if (!tarball) throw new Error(`npm pack ${PACKAGE}@${VERSION} left no tarball in ${temp}`)
    execFileSync('tar', ['-xzf', path.join(temp, tarball), '-C', temp, DESCRIPTION])
    const full = JSON.parse(fs.readFileSync(path.join(temp, DESCRIPTION), 'utf8')) as JsonObject
    const fixture = extract(full)
    fs.writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 1)}\n`)
    const components = Object.values(fixture.components as Record<string, JsonObject>).reduce((n, group) => n + Object.keys(group).length, 0)
    console.log(`Wrote ${path.relative(projectRoot, FIXTURE)}: ${OPERATIONS.length} operations, ${components} components, ${fs.statSync(FIXTURE).size} bytes.`)
  } finally {
    fs.rmSync(temp, { recursive: true, force: true })
  }
}

/** The description cut down to OPERATIONS plus the components they reach through `$ref`s. */
export function extract(full: JsonObject): JsonObject {
  const paths: Record<string, JsonObject> = {}
  for (const [method, route] of OPERATIONS) {
    const operation = ((full.paths as JsonObject)[route] as JsonObject | undefined)?.[method]
    if (!operation) throw new Error(`${PACKAGE}@${VERSION} has no ${method.toUpperCase()} ${route}`)
    paths[route] = { ...(paths[route] ?? {}), [method]: withoutDocumentation(operation) }
  }

  const components: Record<string, JsonObject> = {}
  const pending = collectRefs(paths)
  const seen = new Set<string>()
  while (pending.length > 0) {
    const ref = pending.pop() as string
    if (seen.has(ref)) continue
    seen.add(ref)
    const [, , group, name] = ref.split('/') // "#/components/<group>/<name>"
    const value = ((full.components as JsonObject)[group] as JsonObject | undefined)?.[name]
    if (value === undefined) throw new Error(`${ref} is referenced but not defined`)
    const cleaned = withoutDocumentation(value)
    ;(components[group] ??= {})[name] = cleaned
    pending.push(...collectRefs(cleaned))
  }
  for (const group of Object.keys(components)) components[group] = sortKeys(components[group])

  const info = full.info as JsonObject
  return {
    openapi: full.openapi,
    info: { title: info.title, version: info.version, 'x-extracted-from': `${PACKAGE}@${VERSION}` },
    servers: full.servers,
    paths,
    components
  }
}

function collectRefs(node: Json, into: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item) => collectRefs(item, into))
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') into.push(value)
      else collectRefs(value, into)
    }
  }
  return into
}

/** Drops prose and samples, but never a schema property that happens to be called `description`. */
function withoutDocumentation(node: Json, inProperties = false): Json {
  if (Array.isArray(node)) return node.map((item) => withoutDocumentation(item))
  if (!node || typeof node !== 'object') return node
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(node)) {
    if (!inProperties && DOCUMENTATION_KEYS.has(key)) continue
    out[key] = withoutDocumentation(value, !inProperties && key === 'properties')
  }
  return out
}

function sortKeys(object: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => a.localeCompare(b)))
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) main()
