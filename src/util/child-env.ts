/**
 * The environment every child process gets: this process's, less what a child must never see. The
 * runner hands each input to the action as `INPUT_<NAME>` (the API key, the webhook URLs, the config
 * vars among them) and the job's runtime tokens as `ACTIONS_*`: none of that is any child's business.
 * Values that carry a secret registered with `addSecret` are dropped too, whatever their name.
 */
const secrets = new Set<string>()

/** Registers a secret (done as the inputs are read, next to masking it in the log). */
export function addSecret(secret: string): void {
  // A very short "secret" would drop every variable that happens to contain it (PATH included).
  if (secret.length >= 4) secrets.add(secret)
}

const NEVER = /^(INPUT_|ACTIONS_(RUNTIME|ID_TOKEN_REQUEST|CACHE|RESULTS)_)/i

/** `extra` is added as it is (it may carry a credential on purpose); an undefined value there removes the variable. */
export function childEnv(extra: Record<string, string | undefined> = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || NEVER.test(name) || carriesSecret(value)) continue
    env[name] = value
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }
  return env
}

function carriesSecret(value: string): boolean {
  for (const secret of secrets) if (value.includes(secret)) return true
  return false
}
