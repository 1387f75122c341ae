import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The output of a build or a release phase. Lines become visible to stream readers one by one
 * (`lineDelayMs()` apart, to emulate slow streams); `text()` is everything written so far.
 */
export class OutputLog {
  private readonly written: string[] = []
  private readonly queue: string[] = []
  private visible = Buffer.alloc(0)
  private endRequested = false
  private pumping = false
  private ended = false
  private readonly listeners = new Set<() => void>()
  private resolveFinished!: () => void
  /** Resolves once the log has ended and every line is visible. */
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve))

  constructor(
    private readonly lineDelayMs: () => number,
    private readonly shutdown: AbortSignal
  ) {}

  line(text: string): void {
    if (this.endRequested) return
    for (const line of text.split('\n')) {
      this.written.push(line)
      this.queue.push(`${line}\n`)
    }
    void this.pump()
  }

  end(): void {
    if (this.endRequested) return
    this.endRequested = true
    void this.pump()
  }

  text(): string {
    return this.written.map((line) => `${line}\n`).join('')
  }

  get isEnded(): boolean {
    return this.ended
  }

  /** Visible bytes from `offset` on. */
  read(offset: number): Buffer {
    return this.visible.subarray(Math.min(offset, this.visible.length))
  }

  get size(): number {
    return this.visible.length
  }

  /** Writes the output from byte `from` into `res` as it becomes visible; resolves when the log ended or `res` closed. */
  relayTo(res: ServerResponse, from = 0): Promise<void> {
    return new Promise((resolve) => {
      let sent = from
      const follow = () => {
        const chunk = this.read(sent)
        if (chunk.length > 0) {
          sent += chunk.length
          res.write(chunk)
        }
        if (this.isEnded) {
          unsubscribe()
          resolve()
        }
      }
      const unsubscribe = this.subscribe(follow)
      res.on('close', () => {
        unsubscribe()
        resolve()
      })
      follow()
    })
  }

  /** Calls `listener` whenever bytes become visible or the log ends; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private async pump(): Promise<void> {
    if (this.pumping) return
    this.pumping = true
    try {
      while (this.queue.length > 0) {
        const delay = this.shutdown.aborted ? 0 : this.lineDelayMs()
        if (delay > 0) await sleep(delay, undefined, { signal: this.shutdown }).catch(() => undefined)
        this.visible = Buffer.concat([this.visible, Buffer.from(this.queue.shift() as string)])
        this.notify()
      }
      if (this.endRequested && !this.ended) {
        this.ended = true
        this.notify()
        this.resolveFinished()
      }
    } finally {
      this.pumping = false
    }
  }

  private notify(): void {
    for (const listener of this.listeners) listener()
  }
}
