/**
 * Validation against the official Heroku Platform API JSON schema (draft-04 hyper-schema), read from
 * ../shared/reference/heroku-platform-api-schema.json next to the project. The schema is never copied
 * into the project: when the file is absent, loadHerokuSchema() answers undefined and callers skip.
 * Recipe from the reference §7: strip `example` keys (their "id" values confuse Ajv's id collection),
 * register the schema under the id "heroku", rewrite "#/..." refs of link schemas to "heroku#/...".
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ErrorObject, ValidateFunction } from 'ajv'
import AjvDraft04Module from 'ajv-draft-04'
import addFormatsModule from 'ajv-formats'

// Both packages are CommonJS whose module.exports is the function and also carry it as `.default`:
// under Node ESM the default import is module.exports, while TypeScript types it as the namespace.
const AjvDraft04 = AjvDraft04Module.default
const addFormats = addFormatsModule.default

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

export const HEROKU_SCHEMA_PATH = path.resolve(projectRoot, '../shared/reference/heroku-platform-api-schema.json')

export interface HerokuSchemaOptions {
  /**
   * Treat the interagent `strictProperties: true` as `additionalProperties: false`, so a body with a
   * field the schema does not know fails. Off by default: the live API sometimes runs ahead of the schema.
   */
  strict?: boolean
}

export interface HerokuSchema {
  /** Errors of `body` against `definitions.<resource>` (empty = valid). */
  validateResource(resource: string, body: unknown): string[]
  /** Errors of a request body against the `schema` of the resource's link titled `linkTitle` (e.g. build "Create"). */
  validateRequest(resource: string, linkTitle: string, body: unknown): string[]
  /** Errors of a response body against the link's `targetSchema` (lists, config-vars, `{}` answers). */
  validateResponse(resource: string, linkTitle: string, body: unknown): string[]
  /** The link's `ranges`, when the schema lists any. */
  linkRanges(resource: string, linkTitle: string): string[] | undefined
}

interface Link {
  title: string
  schema?: unknown
  targetSchema?: unknown
  ranges?: string[]
}

type SchemaDocument = { definitions: Record<string, { links?: Link[] }> } & Record<string, unknown>

/** The schema validators, or undefined when the schema file is not there. */
export function loadHerokuSchema(options: HerokuSchemaOptions = {}): HerokuSchema | undefined {
  if (!fs.existsSync(HEROKU_SCHEMA_PATH)) return undefined
  const raw = JSON.parse(fs.readFileSync(HEROKU_SCHEMA_PATH, 'utf8')) as SchemaDocument
  const prepared = prepare(raw, options.strict ?? false) as SchemaDocument
  delete prepared.$schema
  prepared.id = 'heroku'

  const ajv = new AjvDraft04({ strict: false, allErrors: true, validateSchema: false })
  addFormats(ajv)
  ajv.addSchema(prepared)

  const compiled = new Map<string, ValidateFunction>()
  const validatorFor = (key: string, make: () => ValidateFunction): ValidateFunction => {
    let validate = compiled.get(key)
    if (!validate) compiled.set(key, (validate = make()))
    return validate
  }
  const link = (resource: string, title: string): Link => {
    const found = prepared.definitions[resource]?.links?.find((candidate) => candidate.title === title)
    if (!found) throw new Error(`The Heroku schema has no link "${title}" on ${resource}`)
    return found
  }
  const linkValidator = (resource: string, title: string, part: 'schema' | 'targetSchema') =>
    validatorFor(`${resource}#${title}#${part}`, () => {
      const schema = link(resource, title)[part]
      if (schema === undefined) throw new Error(`The ${resource} "${title}" link has no ${part}`)
      return ajv.compile(JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"heroku#/')) as object)
    })

  return {
    validateResource(resource, body) {
      const validate = validatorFor(resource, () => {
        const found = ajv.getSchema(`heroku#/definitions/${resource}`)
        if (!found) throw new Error(`The Heroku schema has no resource "${resource}"`)
        return found
      })
      return run(validate, body)
    },
    validateRequest: (resource, title, body) => run(linkValidator(resource, title, 'schema'), body),
    validateResponse: (resource, title, body) => run(linkValidator(resource, title, 'targetSchema'), body),
    linkRanges: (resource, title) => link(resource, title).ranges
  }
}

function run(validate: ValidateFunction, body: unknown): string[] {
  return validate(body) ? [] : (validate.errors ?? []).map(describe)
}

function describe(error: ErrorObject): string {
  const where = error.instancePath || '/'
  const extra = 'additionalProperty' in error.params ? ` (${String(error.params.additionalProperty)})` : ''
  return `${where} ${error.message ?? error.keyword}${extra}`
}

/** Drops `example` values; optionally turns `strictProperties: true` into `additionalProperties: false`. */
function prepare(node: unknown, strict: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => prepare(item, strict))
  if (typeof node !== 'object' || node === null) return node
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === 'example') continue
    out[key] = prepare(value, strict)
  }
  if (strict && out.strictProperties === true && out.additionalProperties === undefined && out.properties !== undefined) {
    out.additionalProperties = false
  }
  return out
}
