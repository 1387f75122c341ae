import type { Log } from '../../src/log.js'

/** An in-memory Log: what a person would read, with group titles as `## title` lines. */
export class MemoryLog implements Log {
  readonly lines: string[] = []
  info(message: string): void {
    this.lines.push(message)
  }
  notice(message: string): void {
    this.lines.push(`notice: ${message}`)
  }
  warning(message: string): void {
    this.lines.push(`warning: ${message}`)
  }
  error(message: string): void {
    this.lines.push(`error: ${message}`)
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.lines.push(`## ${title}`)
    return fn()
  }
  text(): string {
    return this.lines.join('\n')
  }
}
