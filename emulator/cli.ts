/**
 * Runs the emulator until SIGINT/SIGTERM:
 *   tsx emulator/cli.ts [--port N] [--key K] [--app NAME ...] [--quiet]
 */
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { startEmulator } from './index.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    key: { type: 'string' },
    app: { type: 'string', multiple: true, default: [] },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false }
  }
})

if (values.help) {
  console.log('Usage: tsx emulator/cli.ts [--port N] [--key K] [--app NAME ...] [--quiet]')
  process.exit(0)
}

const port = Number(values.port)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Invalid --port ${values.port}`)
  process.exit(2)
}

const apiKey = values.key ?? randomUUID()
const emulator = await startEmulator({
  apiKey,
  port,
  apps: values.app,
  log: values.quiet ? undefined : (line) => console.log(`[emulator] ${line}`)
})

console.log(`Heroku Platform API emulator`)
console.log(`  HEROKU_API_URL=${emulator.apiUrl}`)
console.log(`  HEROKU_API_KEY=${apiKey}`)
for (const name of values.app) console.log(`  app ${name}: ${emulator.app(name).webUrl}`)
console.log('Press Ctrl-C to stop.')

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    console.log(`\n${signal}: stopping dynos and servers...`)
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      }
    )
  })
}
