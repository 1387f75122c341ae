import { carriesSecret } from './secrets.js'

/**
 * The environment every child process gets: this process's, less what a child must never see. The
 * runner hands each input to the action as `INPUT_<NAME>` (the API key, the webhook URLs, the config
 * vars among them) and the job's runtime tokens as `ACTIONS_*`: none of that is any child's business.
 * Values that carry a registered secret (secrets.ts) are dropped too, whatever their name.
 */

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
