import { oneLine } from '../errors.js'
import type { HerokuApi } from '../heroku/api.js'
import type { Log } from '../log.js'
import { timed } from '../result.js'
import type { Shipper } from '../ship/shipper.js'
import { MIN_SECRET_LENGTH } from '../util/secrets.js'

/** Heroku's rule for a config var name: letters, digits and underscores, not starting with a digit. */
const KEY_RULE = 'letters, digits and underscores, not starting with a digit'
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Parses the `config-vars` input: `KEY=VALUE` lines, the value being everything after the first `=`
 * (more `=` and spaces included); blank lines and `#` comments are skipped. Every value goes to `mask`
 * before anything is checked, and no message ever quotes a value or a line that could hold one.
 * Returns the problems (each naming the input and the line) instead of throwing, like the other inputs.
 */
export function parseConfigVars(input: string, inputName: string, maskValue: (secret: string) => void): { vars: Record<string, string>; problems: string[] } {
  const mask = (value: string): void => {
    // Too short to be a secret: masking it would garble the log (util/secrets.ts).
    if (value.length >= MIN_SECRET_LENGTH) maskValue(value)
  }
  const vars: Record<string, string> = {}
  const problems: string[] = []
  const lineOf = new Map<string, number>()
  input.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '')
    const at = line.indexOf('=')
    if (at >= 0) mask(line.slice(at + 1))
    if (line.trim() === '' || line.trimStart().startsWith('#')) return
    const where = `Input '${inputName}' line ${index + 1}`
    if (at < 0) {
      // The whole line may be a value someone forgot its key for.
      mask(line.trim())
      problems.push(`${where} has no '=': expected KEY=VALUE (the line is not shown, it may hold a secret).`)
      return
    }
    const key = line.slice(0, at).trim()
    if (!KEY.test(key)) {
      problems.push(`${where} has the key '${printable(key)}': a config var name is ${KEY_RULE}.`)
      return
    }
    const first = lineOf.get(key)
    if (first !== undefined) {
      problems.push(`${where} sets ${key} again (first set on line ${first}): set each config var once.`)
      return
    }
    lineOf.set(key, index + 1)
    vars[key] = line.slice(at + 1)
  })
  return { vars, problems }
}

/** A key as a message may show it: control characters and overlong keys cut, so the log stays one line. */
function printable(key: string): string {
  const clean = key.replace(/[\p{C}]/gu, '?')
  return clean.length > 60 ? `${clean.slice(0, 60)}…` : clean
}

/**
 * Sets the config vars on the app in one request, before its build, so that the build and the release
 * phase see them. Heroku makes a release of the change. Only the keys reach the log.
 */
export async function setConfigVars(api: HerokuApi, log: Log, app: string, vars: Readonly<Record<string, string>>): Promise<string[]> {
  const keys = Object.keys(vars)
  if (keys.length === 0) return []
  try {
    await api.updateConfigVars(app, vars)
  } catch (error) {
    throw new Error(`Could not set the config vars (${keys.join(', ')}) on ${app}: ${oneLine(error)}`, { cause: error })
  }
  log.info(`Set ${keys.length} config var${keys.length === 1 ? '' : 's'} on ${app}: ${keys.join(', ')} (values masked).`)
  return keys
}

/**
 * The shipper of an app this step configures: the config vars are set first, inside the same
 * maintenance window, so that its build and release phase see them. A promotion target gets none:
 * it keeps its own config.
 */
export function withConfigVars(shipper: Shipper, vars: Readonly<Record<string, string>>): Shipper {
  if (Object.keys(vars).length === 0) return shipper
  return {
    ...(shipper.ready ? { ready: (ctx) => shipper.ready?.(ctx) ?? Promise.resolve() } : {}),
    ship: async (ctx, result) => {
      result.configKeys = await timed([result], 'config', () => setConfigVars(ctx.api, ctx.log, result.app, vars))
      return shipper.ship(ctx, result)
    }
  }
}
