/**
 * The `${{ }}` expression language of GitHub Actions, as far as the local workflow runner needs it:
 * literals, context access (`steps.deploy.outputs.app-url`, `github['sha']`), `!`, `==`, `!=`, `<`, `<=`,
 * `>`, `>=`, `&&`, `||`, parentheses, the status functions and contains/startsWith/endsWith/format/
 * join/toJSON/fromJSON. Semantics follow GitHub's documentation: loose equality that coerces to numbers
 * and compares strings case-insensitively, `&&`/`||` yielding an operand, a missing property is null.
 * Anything else (hashFiles, object filters, an unknown context) is an error, never a silent guess.
 */

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value }

export interface Scope {
  /** Contexts by name: github, env, steps, runner, job ... (names are matched case-insensitively). */
  contexts: Record<string, Value>
  /** The job's state for success(), failure(), cancelled(); always() is always true. */
  status?: { failed: boolean; cancelled: boolean }
}

export class ExpressionError extends Error {}

type Token = { kind: 'number' | 'string' | 'name' | 'punct'; text: string; value?: Value }

const PUNCTUATION = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '[', ']', '.', ',']

function tokenize(source: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < source.length) {
    const rest = source.slice(i)
    const space = /^\s+/.exec(rest)
    if (space) {
      i += space[0].length
      continue
    }
    if (rest[0] === "'") {
      let text = ''
      let j = 1
      for (;;) {
        if (j >= rest.length) throw new ExpressionError(`unterminated string in: ${source}`)
        if (rest[j] === "'") {
          if (rest[j + 1] === "'") {
            text += "'"
            j += 2
            continue
          }
          break
        }
        text += rest[j++]
      }
      tokens.push({ kind: 'string', text: rest.slice(0, j + 1), value: text })
      i += j + 1
      continue
    }
    const number = /^(0x[0-9a-f]+|-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)/i.exec(rest)
    if (number) {
      tokens.push({ kind: 'number', text: number[0], value: Number(number[0]) })
      i += number[0].length
      continue
    }
    const name = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(rest)
    if (name) {
      tokens.push({ kind: 'name', text: name[0] })
      i += name[0].length
      continue
    }
    const punct = PUNCTUATION.find((p) => rest.startsWith(p))
    if (!punct) throw new ExpressionError(`unexpected '${rest[0]}' in: ${source}`)
    tokens.push({ kind: 'punct', text: punct })
    i += punct.length
  }
  return tokens
}

/** Evaluates one expression (the text inside `${{ }}`). */
export function evaluate(source: string, scope: Scope): Value {
  const tokens = tokenize(source)
  let at = 0
  const peek = (): Token | undefined => tokens[at]
  const accept = (text: string): boolean => {
    if (peek()?.kind === 'punct' && peek()?.text === text) {
      at++
      return true
    }
    return false
  }
  const expect = (text: string): void => {
    if (!accept(text)) throw new ExpressionError(`expected '${text}' at '${peek()?.text ?? 'the end'}' in: ${source}`)
  }

  const or = (): Value => {
    let left = and()
    while (accept('||')) {
      const right = and()
      left = truthy(left) ? left : right
    }
    return left
  }
  const and = (): Value => {
    let left = equality()
    while (accept('&&')) {
      const right = equality()
      left = truthy(left) ? right : left
    }
    return left
  }
  const equality = (): Value => {
    let left = comparison()
    for (;;) {
      if (accept('==')) left = looseEquals(left, comparison())
      else if (accept('!=')) left = !looseEquals(left, comparison())
      else return left
    }
  }
  const comparison = (): Value => {
    let left = unary()
    for (;;) {
      const op = ['<=', '>=', '<', '>'].find((p) => accept(p))
      if (!op) return left
      left = compare(left, unary(), op)
    }
  }
  const unary = (): Value => (accept('!') ? !truthy(unary()) : postfix())
  const postfix = (): Value => {
    let value = primary()
    for (;;) {
      if (accept('.')) {
        const name = peek()
        if (name?.kind !== 'name') throw new ExpressionError(`expected a property name after '.' in: ${source}`)
        at++
        value = property(value, name.text)
      } else if (accept('[')) {
        const key = or()
        expect(']')
        value = typeof key === 'number' && Array.isArray(value) ? (value[key] ?? null) : property(value, toText(key))
      } else return value
    }
  }
  const primary = (): Value => {
    const token = peek()
    if (!token) throw new ExpressionError(`unexpected end of: ${source}`)
    at++
    if (token.kind === 'number' || token.kind === 'string') return token.value ?? null
    if (token.kind === 'punct') {
      if (token.text !== '(') throw new ExpressionError(`unexpected '${token.text}' in: ${source}`)
      const value = or()
      expect(')')
      return value
    }
    const lower = token.text.toLowerCase()
    if (lower === 'true') return true
    if (lower === 'false') return false
    if (lower === 'null') return null
    if (accept('(')) {
      const args: Value[] = []
      if (!accept(')')) {
        do args.push(or())
        while (accept(','))
        expect(')')
      }
      return call(lower, args, scope)
    }
    const context = Object.keys(scope.contexts).find((name) => name.toLowerCase() === lower)
    if (context === undefined) {
      throw new ExpressionError(`the context '${token.text}' is not available here (the local runner knows ${Object.keys(scope.contexts).join(', ')})`)
    }
    return scope.contexts[context]
  }

  const value = or()
  if (at < tokens.length) throw new ExpressionError(`unexpected '${tokens[at].text}' in: ${source}`)
  return value
}

function call(name: string, args: Value[], scope: Scope): Value {
  const status = scope.status ?? { failed: false, cancelled: false }
  const text = (i: number): string => toText(args[i] ?? null)
  switch (name) {
    case 'success':
      return !status.failed && !status.cancelled
    case 'failure':
      return status.failed
    case 'always':
      return true
    case 'cancelled':
      return status.cancelled
    case 'contains': {
      const [haystack, needle] = args
      if (Array.isArray(haystack)) return haystack.some((item) => looseEquals(item, needle ?? null))
      return text(0).toLowerCase().includes(text(1).toLowerCase())
    }
    case 'startswith':
      return text(0).toLowerCase().startsWith(text(1).toLowerCase())
    case 'endswith':
      return text(0).toLowerCase().endsWith(text(1).toLowerCase())
    case 'format':
      return text(0).replace(/\{\{|\}\}|\{(\d+)\}/g, (match, index?: string) => (index === undefined ? match[0] : text(Number(index) + 1)))
    case 'join': {
      const items = args[0]
      return Array.isArray(items) ? items.map(toText).join(args.length > 1 ? text(1) : ',') : text(0)
    }
    case 'tojson':
      return JSON.stringify(args[0] ?? null, null, 2)
    case 'fromjson':
      return JSON.parse(text(0)) as Value
    default:
      throw new ExpressionError(`the function '${name}()' is not supported by the local runner`)
  }
}

function property(value: Value, name: string): Value {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null
  const key = Object.keys(value).find((k) => k.toLowerCase() === name.toLowerCase())
  return key === undefined ? null : value[key]
}

export function truthy(value: Value): boolean {
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value)
  return value !== null && value !== false && value !== ''
}

function toNumber(value: Value): number {
  if (value === null) return 0
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'number') return value
  if (typeof value === 'string') return value.trim() === '' ? 0 : Number(value.trim())
  return NaN
}

function looseEquals(a: Value, b: Value): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase()
  if (typeof a === 'object' && a !== null) return a === b
  if (typeof b === 'object' && b !== null) return false
  if (typeof a === typeof b && typeof a !== 'string') return a === b
  return toNumber(a) === toNumber(b)
}

function compare(a: Value, b: Value, op: string): boolean {
  const [x, y]: [string | number, string | number] = typeof a === 'string' && typeof b === 'string' ? [a.toLowerCase(), b.toLowerCase()] : [toNumber(a), toNumber(b)]
  if (op === '<') return x < y
  if (op === '<=') return x <= y
  if (op === '>') return x > y
  return x >= y
}

/** How a value reads when it is put into a string (`${{ }}` in a script, an input, an env value). */
export function toText(value: Value): string {
  if (value === null) return ''
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return JSON.stringify(value, null, 2)
}

/** Replaces every `${{ expression }}` in `template` by its value as text. */
export function interpolate(template: string, scope: Scope): string {
  return template.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expression: string) => toText(evaluate(expression, scope)))
}

/**
 * A step's `if:` (with or without `${{ }}`): as on GitHub, a condition that calls no status function
 * is read as `success() && (condition)`, so steps after a failure are skipped unless they ask not to be.
 */
export function condition(text: string | boolean | undefined, scope: Scope): boolean {
  if (text === undefined || text === '') return truthy(evaluate('success()', scope))
  if (typeof text === 'boolean') return text && truthy(evaluate('success()', scope))
  const whole = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(text)
  const expression = whole ? whole[1] : text
  const checksStatus = /\b(success|failure|always|cancelled)\s*\(/i.test(expression)
  return truthy(evaluate(checksStatus ? expression : `success() && (${expression})`, scope))
}
