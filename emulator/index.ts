/**
 * A local Heroku Platform API emulator that really runs what it deploys: sources upload to its own
 * blob store, builds run a Heroku-like Node.js build, releases run the release phase and boot a web
 * dyno behind a per-app router on 127.0.0.1. See emulator/README.md.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { PlatformApi } from './api.js'
import { AppRegistry, appView } from './apps.js'
import { accountFor } from './auth.js'
import { BlobStore } from './blobs.js'
import { EmulatorContext } from './context.js'
import { FaultInjector } from './faults.js'
import { GitRemote, gitRepoDir } from './git.js'
import { Pipelines } from './pipelines.js'
import { RateLimiter } from './rate-limit.js'
import { requestHandler } from './server.js'
import { OutputStreams } from './streams.js'
import type { Emulator, EmulatorOptions, RecordedRequest } from './types.js'

export type { AppView, Emulator, EmulatorOptions, Faults, RecordedRequest, RequestMatch } from './types.js'

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  if (!options.apiKey) throw new Error('startEmulator: apiKey is required')
  const log = options.log ?? (() => undefined)
  const workDir = options.workDir ?? (await mkdtemp(path.join(tmpdir(), 'heroku-emulator-')))
  await mkdir(path.join(workDir, 'blobs'), { recursive: true })

  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port ?? 0, '127.0.0.1', resolve))
  const apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`

  const faults = new FaultInjector()
  const blobs = new BlobStore(path.join(workDir, 'blobs'), apiUrl)
  const streams = new OutputStreams(apiUrl, faults)
  const ctx = new EmulatorContext(apiUrl, workDir, accountFor(options.apiKey), faults, blobs, streams, log)
  const apps = new AppRegistry(ctx)
  const rateLimiter = new RateLimiter(options.rateLimit)
  const pipelines = new Pipelines(apps, ctx)
  const api = new PlatformApi(apps, ctx, rateLimiter, pipelines)
  const git = await GitRemote.start(apps, ctx, options.apiKey)
  const requests: RecordedRequest[] = []
  server.on('request', requestHandler({ apiKey: options.apiKey, api, blobs, streams, git, faults, rateLimiter, requests, log }))
  // Every byte clients sent to the port (request lines, headers, bodies), for comparing deploy strategies.
  const sockets = new Set<Socket>()
  let closedBytes = 0
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => {
      closedBytes += socket.bytesRead
      sockets.delete(socket)
    })
  })

  let closing: Promise<void> | undefined
  const close = () =>
    (closing ??= (async () => {
      await ctx.stopBackground()
      await Promise.all([...ctx.dynos].map((dyno) => dyno.stop()))
      await Promise.all(apps.all().map((app) => app.router.close()))
      await git.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      if (!options.workDir) await rm(workDir, { recursive: true, force: true })
      log('emulator closed')
    })())

  try {
    for (const app of options.apps ?? []) await (typeof app === 'string' ? apps.create(app) : apps.create(app.name, { stack: app.stack }))
  } catch (error) {
    await close()
    throw error
  }
  log(`emulator listening on ${apiUrl} (workDir ${workDir})`)

  return {
    apiUrl,
    gitUrl: apiUrl,
    requests,
    bytesReceived: () => closedBytes + [...sockets].reduce((sum, socket) => sum + socket.bytesRead, 0),
    faults,
    app: (name) => {
      if (!apps.all().some((app) => app.name === name)) throw new Error(`The emulator has no app named "${name}"`)
      return appView(apps.find(name))
    },
    createApp: async (name, createOptions) => appView(await apps.create(name, createOptions)),
    createPipeline: (name, stages) => {
      const pipeline = pipelines.create({ name })
      for (const [stage, names] of Object.entries(stages)) for (const app of names ?? []) pipelines.couple({ app, pipeline: pipeline.id, stage })
      return { id: pipeline.id, name: pipeline.name }
    },
    gitRepository: (name) => gitRepoDir(workDir, apps.find(name).name),
    close
  }
}
