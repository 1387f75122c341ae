/**
 * Validation against GitHub's official REST description (OpenAPI 3.0), cut down to the operations the
 * action calls by scripts/extract-github-openapi.ts into rest-description.json. The local GitHub API
 * runs every request it gets and every answer it gives through this, so neither the action nor the
 * stand-in can drift from what api.github.com accepts and returns.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'

// CommonJS packages whose module.exports is the function: under Node ESM the default import is it.
const Ajv = AjvModule.default
const addFormats = addFormatsModule.default

export const REST_DESCRIPTION_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rest-description.json')

type Json = Record<string, unknown>

interface Parameter {
  name: string
  in: 'path' | 'query' | 'header'
  required?: boolean
  schema: Json
  'x-multi-segment'?: boolean
}

/** One operation of the description, with a matcher for its path template. */
export interface Operation {
  /** GitHub's operationId, e.g. `repos/create-deployment`. */
  id: string
  method: string
  template: string
  pattern: RegExp
  parameters: Parameter[]
  pointer: string
}

export interface RequestParts {
  params: Record<string, string>
  query: URLSearchParams
  body: unknown
}

export class RestDescription {
  readonly operations: Operation[]
  private readonly ajv
  private readonly document: Json
  private readonly compiled = new Map<string, ValidateFunction>()

  constructor(document: Json = JSON.parse(fs.readFileSync(REST_DESCRIPTION_PATH, 'utf8')) as Json) {
    this.document = nullableEnums(document) as Json
    this.ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: false })
    addFormats(this.ajv)
    // The description gives `default: ""` to optional URLs (target_url, log_url…): GitHub answers "" for them.
    this.ajv.addFormat('uri', (value: string) => value === '' || URL.canParse(value))
    this.ajv.addSchema({ ...this.document, $id: 'github' })
    this.operations = Object.entries(this.document.paths as Record<string, Record<string, Json>>).flatMap(([template, methods]) =>
      Object.entries(methods).map(([method, operation]) => {
        const parameters = ((operation.parameters ?? []) as Json[]).map((p) => this.resolve<Parameter>(p))
        return {
          id: operation.operationId as string,
          method: method.toUpperCase(),
          template,
          pattern: templatePattern(template, parameters),
          parameters,
          pointer: `#/paths/${escapePointer(template)}/${method}`
        }
      })
    )
  }

  /** The operation a request is for, and its path parameters; undefined when the action has no business there. */
  find(method: string, pathname: string): { operation: Operation; params: Record<string, string> } | undefined {
    for (const operation of this.operations) {
      if (operation.method !== method.toUpperCase()) continue
      const match = operation.pattern.exec(pathname)
      if (match) return { operation, params: Object.fromEntries(Object.entries(match.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)])) }
    }
    return undefined
  }

  /** Problems of a request: path and query parameters, and the JSON body (unknown fields included). */
  validateRequest(operation: Operation, request: RequestParts): string[] {
    const problems: string[] = []
    for (const parameter of operation.parameters) {
      const raw = parameter.in === 'path' ? request.params[parameter.name] : parameter.in === 'query' ? request.query.get(parameter.name) : undefined
      if (raw === undefined || raw === null) {
        if (parameter.required) problems.push(`${parameter.in} parameter '${parameter.name}' is required`)
        continue
      }
      const value = coerce(raw, parameter.schema)
      const errors = this.check(`${operation.id}#${parameter.name}`, () => this.ajv.compile(this.resolveDeep(parameter.schema)), value)
      problems.push(...errors.map((error) => `${parameter.in} parameter '${parameter.name}'${error}`))
    }
    const known = new Set(operation.parameters.filter((p) => p.in === 'query').map((p) => p.name))
    for (const name of new Set(request.query.keys())) if (!known.has(name)) problems.push(`query parameter '${name}' is not in the description`)

    const body = this.at(operation.pointer).requestBody as Json | undefined
    if (!body) {
      if (request.body !== undefined) problems.push('the operation takes no request body')
      return problems
    }
    if (request.body === undefined) return body.required ? [...problems, 'a JSON request body is required'] : problems
    const pointer = `${operation.pointer}/requestBody/content/application~1json/schema`
    problems.push(...this.check(pointer, () => this.ajv.compile({ $ref: `github${pointer}` }), request.body).map((e) => `request body${e}`))
    // GitHub ignores fields it does not know; here they are errors, so a misspelt field cannot pass unnoticed.
    const properties = (this.at(pointer).properties ?? {}) as Json
    if (request.body && typeof request.body === 'object' && !Array.isArray(request.body)) {
      for (const field of Object.keys(request.body)) if (!(field in properties)) problems.push(`request body field '${field}' is not in the description`)
    }
    return problems
  }

  /** Problems of an answer: its status must be one the operation documents (or an error) and its body must match. */
  validateResponse(operation: Operation, status: number, body: unknown): string[] {
    const responses = this.at(operation.pointer).responses as Record<string, Json>
    let response = responses[String(status)]
    if (!response) {
      if (status < 400) return [`status ${status} is not documented for ${operation.id}`]
      // Errors every endpoint can answer (401, 403, 404, 5xx…) carry GitHub's basic error body.
      return this.check('basic-error', () => this.ajv.compile({ $ref: 'github#/components/schemas/basic-error' }), body).map((e) => `${status} body${e}`)
    }
    let pointer = `${operation.pointer}/responses/${status}`
    if (typeof response.$ref === 'string') {
      pointer = response.$ref
      response = this.resolve<Json>(response)
    }
    const content = response.content as Record<string, Json> | undefined
    if (!content?.['application/json']) return []
    const schemaPointer = `${pointer}/content/application~1json/schema`
    return this.check(schemaPointer, () => this.ajv.compile({ $ref: `github${schemaPointer}` }), body).map((e) => `${status} body${e}`)
  }

  private check(key: string, make: () => ValidateFunction, value: unknown): string[] {
    let validate = this.compiled.get(key)
    if (!validate) this.compiled.set(key, (validate = make()))
    return validate(value) ? [] : (validate.errors ?? []).map(describe)
  }

  private at(pointer: string): Json {
    return pointer
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((node, part) => (node as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')], this.document) as Json
  }

  private resolve<T>(node: Json): T {
    return (typeof node.$ref === 'string' ? this.at(node.$ref) : node) as T
  }

  /** A parameter schema with its `$ref`s pointing into the registered document. */
  private resolveDeep(schema: Json): Json {
    return JSON.parse(JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"github#/')) as Json
  }
}

/**
 * OpenAPI 3.0's `nullable: true` allows null, also next to an `enum` (a check run's `conclusion` is
 * null until it completes); Ajv applies the enum to null too, so null joins such enums here. Ajv
 * refuses `nullable` without a `type` (a commit's `author`: a user, `{}` or null): that becomes
 * "this schema, or null".
 */
function nullableEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableEnums)
  if (!node || typeof node !== 'object') return node
  const out: Json = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, nullableEnums(value)]))
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null]
  if (out.nullable === true && out.type === undefined) {
    const { nullable: _nullable, ...schema } = out
    return { anyOf: [schema, { type: 'null' }] }
  }
  return out
}

function templatePattern(template: string, parameters: Parameter[]): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const name = /^\{(.+)\}$/.exec(part)?.[1]
      if (!name) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      const multi = parameters.find((p) => p.name === name)?.['x-multi-segment']
      return `(?<${name}>${multi ? '.+' : '[^/]+'})`
    })
    .join('')
  return new RegExp(`^${source}$`)
}

/** Query and path values arrive as text; the description types some of them (per_page: integer). */
function coerce(raw: string, schema: Json): unknown {
  if ((schema.type === 'integer' || schema.type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw)
  if (schema.type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true'
  return raw
}

function escapePointer(value: string): string {
  return value.replace(/~/g, '~0').replace(/\//g, '~1')
}

function describe(error: ErrorObject): string {
  const where = error.instancePath ? ` ${error.instancePath}` : ''
  const extra = 'allowedValues' in error.params ? ` (${(error.params.allowedValues as unknown[]).join(', ')})` : ''
  return `${where} ${error.message ?? error.keyword}${extra}`
}
