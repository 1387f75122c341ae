/**
 * heroku-client parses our own base URL with `url.parse()`, and Node 24 answers with a DEP0169
 * deprecation warning on stderr in every user's log. It says nothing a user can act on, so that one
 * warning is dropped; every other warning still gets through.
 */
export function silenceUrlParseWarning(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0] as { code?: string } | string | undefined
    const code = typeof options === 'object' ? options?.code : rest[1]
    if (code === 'DEP0169') return
    emit(warning, ...rest)
  }
}
