import type { BlobStore } from './blobs.js'
import type { Dyno } from './dynos.js'
import type { FaultInjector } from './faults.js'
import { OutputLog } from './output-log.js'
import type { OutputStreams } from './streams.js'

/** What builds, releases and the API share within one emulator. */
export class EmulatorContext {
  /** Every web dyno started and not yet stopped, so close() can stop them all. */
  readonly dynos = new Set<Dyno>()
  private readonly tasks = new Set<Promise<void>>()
  private readonly shutdownController = new AbortController()

  constructor(
    readonly apiUrl: string,
    readonly workDir: string,
    readonly account: { id: string; email: string },
    readonly faults: FaultInjector,
    readonly blobs: BlobStore,
    readonly streams: OutputStreams,
    readonly log: (line: string) => void
  ) {}

  /** Aborted by close(): background work stops and its processes are killed. */
  get shutdown(): AbortSignal {
    return this.shutdownController.signal
  }

  newOutputLog(): OutputLog {
    return new OutputLog(() => this.faults.streamLineDelayMs, this.shutdown)
  }

  /** Runs work after the API answered (builds, release phases, dyno switches); close() waits for it. */
  background(name: string, task: () => Promise<void>): void {
    const running = task().catch((error: unknown) => {
      if (!this.shutdown.aborted) this.log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    })
    this.tasks.add(running)
    void running.finally(() => this.tasks.delete(running))
  }

  /** Stops background work and waits until it has unwound. */
  async stopBackground(): Promise<void> {
    this.shutdownController.abort()
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks])
  }
}
