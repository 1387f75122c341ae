/**
 * The bad-input table (reliability/bad-inputs.ts) over dist/index.js: each row fails the step with a
 * message naming the input, before a single Heroku or GitHub request.
 */
import { BAD_INPUTS } from '../reliability/bad-inputs.js'
import { startWorld, type World } from './world.js'

let world: World

beforeAll(async () => {
  world = await startWorld()
})
afterAll(() => world.close())

test('the table holds at least 40 rows', () => expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(40))

test.concurrent.each(BAD_INPUTS)('$what: fails before any request', async ({ inputs, env, error }) => {
  const before = { heroku: world.emulator.requests.length, github: world.github.requests.length }
  const run = await world.deploy(inputs, env)
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('failure')
  expect(run.stdout).toContain(`::error::${error.replace(/\n/g, '%0A')}`)
  // Nothing reached Heroku or GitHub (rows run side by side: none of them makes a request at all).
  expect(world.emulator.requests.length).toBe(before.heroku)
  expect(world.github.requests.length).toBe(before.github)
})
