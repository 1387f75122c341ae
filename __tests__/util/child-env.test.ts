import { childEnv } from '../../src/util/child-env.js'
import { addSecret } from '../../src/util/secrets.js'

test('a child never sees the inputs, the runner tokens, or a variable carrying a secret; what the caller adds wins', () => {
  addSecret('s3cr3t-value-for-the-child-env-test')
  addSecret('1') // too short to be a secret: must not drop every variable with a 1 in it
  const base = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: '/home/runner1',
    'INPUT_API-KEY': 'HRKU-xyz',
    'INPUT_CONFIG-VARS': 'A=b',
    ACTIONS_RUNTIME_TOKEN: 'tok',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'tok2',
    MY_DB: 'postgres://u:s3cr3t-value-for-the-child-env-test@db',
    GIT_TRACE: '1'
  }
  expect(childEnv({ GIT_TERMINAL_PROMPT: '0', GIT_TRACE: undefined }, base)).toEqual({ PATH: base.PATH, HOME: base.HOME, GIT_TERMINAL_PROMPT: '0' })
})
