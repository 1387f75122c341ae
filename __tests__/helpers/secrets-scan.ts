/**
 * The one secrets check every end-to-end run goes through (world.ts applies it to each run; other
 * suites can call it on anything they collect). It searches every channel a secret could leak by
 * (what the action wrote, what it sent, what it asked for, what it handed its children) for every
 * form a mistake could print a secret in, and reports each hit by secret and channel.
 */
export interface Secret {
  /** What it is, for the report: "api-key", "config value of DB_PASSWORD"... */
  what: string
  value: string
}

export interface Channel {
  /** stdout, stderr, outputs, summary, runner files, notifications, Heroku URLs, GitHub URLs, git argv, git environment. */
  name: string
  text: string
}

export interface Hit {
  secret: string
  channel: string
  form: string
}

/** The channels the check searches, in the order the README's table lists them. */
export const CHANNELS = [
  'stdout',
  'stderr',
  'outputs',
  'job summary',
  'other runner files',
  'notifications (Slack, webhook)',
  'Heroku request URLs',
  'GitHub request URLs',
  "children's arguments",
  "children's environment"
] as const

/** A secret in every form a mistake could print it: as is, URL-encoded, JSON-escaped, base64 and inside Basic credentials. */
export function secretForms(secret: string): string[] {
  return [
    ...new Set([
      secret,
      encodeURIComponent(secret),
      JSON.stringify(secret).slice(1, -1),
      Buffer.from(secret).toString('base64'),
      Buffer.from(`:${secret}`).toString('base64'),
      Buffer.from(`heroku:${secret}`).toString('base64')
    ])
  ].filter((form) => form.length >= 4)
}

/** Every hit of every secret's forms in every channel. */
export function scanForSecrets(channels: readonly Channel[], secrets: readonly Secret[]): Hit[] {
  const hits: Hit[] = []
  for (const secret of secrets) {
    if (secret.value.length < 4) continue // the action does not treat values this short as secrets
    for (const form of secretForms(secret.value)) {
      for (const channel of channels) if (channel.text.includes(form)) hits.push({ secret: secret.what, channel: channel.name, form })
    }
  }
  return hits
}

/** Throws, naming each secret and where it was found, when any channel holds any secret. */
export function expectNoSecrets(channels: readonly Channel[], secrets: readonly Secret[]): void {
  const hits = scanForSecrets(channels, secrets)
  if (hits.length > 0) throw new Error(`Secrets leaked: ${hits.map((hit) => `${hit.secret} in ${hit.channel}`).join(', ')}`)
}

/** The secrets a run's inputs carry: the key, the token, both webhook URLs, the webhook secret, every config var value. */
export function secretsOfInputs(inputs: Readonly<Record<string, string>>): Secret[] {
  const secrets: Secret[] = []
  const add = (what: string, value: string | undefined): void => {
    if (value?.trim()) secrets.push({ what, value: value.trim() })
  }
  add('api-key', inputs['api-key'])
  add('github-token', inputs['github-token'])
  add('slack-webhook', inputs['slack-webhook'])
  add('webhook-url', inputs['webhook-url'])
  add('webhook-secret', inputs['webhook-secret'])
  for (const line of (inputs['config-vars'] ?? '').split('\n')) {
    const at = line.indexOf('=')
    if (at > 0) add(`config value of ${line.slice(0, at).trim()}`, line.slice(at + 1))
  }
  return secrets
}

/**
 * A git child's recorded environment less the one place the key belongs by design: the Basic
 * `Authorization` header of `http.<remote>.extraHeader` in GIT_CONFIG_VALUE_<n>, scoped to the push's
 * remote (README, Secrets). Everything else a child gets is searched.
 */
export function withoutPushCredential(environment: string): string {
  return environment
    .split('\n')
    .filter((line) => !/^GIT_CONFIG_VALUE_\d+=Authorization: Basic [A-Za-z0-9+/=]+$/.test(line))
    .join('\n')
}
