/**
 * Turns the action's raw stdout (workflow commands included) into what the Actions UI would show:
 * groups as headings, annotations as labelled lines, and the masking command hidden.
 */
export function prettyLine(line: string): string | undefined {
  if (line.startsWith('::add-mask::') || line === '::endgroup::') return undefined
  const group = /^::group::(.*)$/.exec(line)
  if (group) return `\n▸ ${group[1]}`
  const annotation = /^::(error|warning|notice)[^:]*::(.*)$/.exec(line)
  if (annotation) return `${annotation[1].toUpperCase()}: ${annotation[2]}`
  if (/^::set-output|^::save-state|^::debug::/.test(line)) return undefined
  return line
}

/** Feeds chunks of stdout and prints complete, prettified lines through `write`. */
export function prettyPrinter(write: (line: string) => void): (chunk: string) => void {
  let partial = ''
  return (chunk) => {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) {
      const shown = prettyLine(line)
      if (shown !== undefined) write(shown)
    }
  }
}
