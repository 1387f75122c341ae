/**
 * Every secret the run knows (the API key and its Basic-credential form, the GitHub token, the webhook
 * URLs and secret, every config var value), registered as the inputs are read, next to masking it in
 * the runner's log. The runner masks only its log: what we write elsewhere (outputs, the job summary,
 * notifications, a GitHub deployment's description) is scrubbed here, and so is the log itself, so
 * that no secret depends on the runner alone.
 */
const secrets = new Set<string>()

/**
 * Shorter values are neither masked nor scrubbed: a secret of 1 to 3 characters is no secret, and
 * treating a config var set to `1` or `on` as one would turn every such character of the log into `***`
 * and drop every variable of a child's environment that contains it (PATH included). The same floor as
 * google-github-actions' `min_mask_length`. The action itself never writes any value, short or long.
 */
export const MIN_SECRET_LENGTH = 4

/** Registers a secret, with the forms a mistake could print it in (URL-encoded, inside JSON). */
export function addSecret(secret: string): void {
  if (secret.length < MIN_SECRET_LENGTH) return
  secrets.add(secret)
  secrets.add(encodeURIComponent(secret))
  secrets.add(JSON.stringify(secret).slice(1, -1))
}

/** Whether `text` carries a registered secret. */
export function carriesSecret(text: string): boolean {
  for (const secret of secrets) if (text.includes(secret)) return true
  return false
}

/** `text` with every registered secret replaced by `***`, longest first (a secret may contain another). */
export function scrub(text: string): string {
  if (secrets.size === 0 || !carriesSecret(text)) return text
  return [...secrets].sort((a, b) => b.length - a.length).reduce((out, secret) => out.split(secret).join('***'), text)
}

/** A JSON-like value with every string in it scrubbed (keys included): for notification payloads. */
export function scrubDeep<T>(value: T): T {
  if (typeof value === 'string') return scrub(value) as T
  if (Array.isArray(value)) return value.map((item: unknown) => scrubDeep(item)) as T
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [scrub(key), scrubDeep(item)])) as T
  return value
}
