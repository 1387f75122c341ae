/** Keeps the last `size` lines of a long output, for failure reports. */
export class LineTail {
  private readonly kept: string[] = []

  constructor(private readonly size = 40) {}

  push(line: string): void {
    this.kept.push(line)
    if (this.kept.length > this.size) this.kept.shift()
  }

  lines(): string[] {
    return [...this.kept]
  }
}

/**
 * Heroku marks its own failure lines with a leading "!" (" !     Push rejected, ...").
 * The first such line that says something is Heroku's reason; falls back to the last line.
 */
export function herokuReason(lines: readonly string[]): string | undefined {
  const marked = lines.map((line) => /^\s*!\s+(.*\S)\s*$/.exec(line)?.[1]).filter((text): text is string => text !== undefined)
  return (
    marked[0] ??
    lines
      .filter((line) => line.trim() !== '')
      .at(-1)
      ?.trim()
  )
}
