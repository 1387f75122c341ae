/** One smoke check: `<path-or-URL> [<status>] [<text>]`, a line of the `smoke-checks` input. */
export interface SmokeCheck {
  /** The line as written, for messages. */
  line: string
  /** A path (resolved against the app's web_url) or an absolute http(s) URL. */
  target: string
  /** The expected status code; undefined means any 2xx. */
  status?: number
  /** Text the body must contain; the rest of the line, spaces included. */
  text?: string
}

/**
 * Parses the `smoke-checks` input. Blank lines and `#` comments are skipped. Throws one message per
 * malformed line, naming the line number and its text, so the step fails before any request.
 */
export function parseSmokeChecks(input: string, inputName = 'smoke-checks'): SmokeCheck[] {
  const checks: SmokeCheck[] = []
  const problems: string[] = []
  input.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const [target, ...rest] = line.split(/\s+/)
    const where = `Input '${inputName}' line ${index + 1} ('${line}')`
    if (!isTarget(target)) {
      problems.push(`${where} must start with a path such as /health or an http(s) URL.`)
      return
    }
    let status: number | undefined
    if (rest.length > 0 && /^\d+$/.test(rest[0])) {
      status = Number(rest.shift())
      if (!(status >= 100 && status <= 599)) {
        problems.push(`${where} has status ${status}: expected an HTTP status code from 100 to 599.`)
        return
      }
    }
    const text = line
      .slice(line.indexOf(target) + target.length)
      .trim()
      .replace(status === undefined ? '' : /^\d+\s*/, '')
    checks.push({ line, target, status, text: text === '' ? undefined : text })
  })
  if (problems.length > 0) throw new SmokeGrammarError(problems)
  return checks
}

export class SmokeGrammarError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join(' '))
    this.name = 'SmokeGrammarError'
  }
}

function isTarget(token: string): boolean {
  if (token.startsWith('/')) return true
  try {
    const url = new URL(token)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== ''
  } catch {
    return false
  }
}

/** The check's URL: a path is resolved against the app's web_url (which ends in `/`). */
export function checkUrl(check: SmokeCheck, webUrl: string): string {
  return check.target.startsWith('/') ? new URL(check.target.slice(1), webUrl.endsWith('/') ? webUrl : `${webUrl}/`).toString() : check.target
}
