import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http'
import type { FaultInjector } from './faults.js'
import type { OutputLog } from './output-log.js'

interface StreamEntry {
  log: OutputLog
  gets: number
}

/**
 * Build and release output streams, served like build-output.heroku.com: no API auth, 404 until the
 * stream "exists" (the first `streamNotFoundFirst` GETs), then chunked text/plain that replays what
 * was written and follows the log live until it ends. `Range: bytes=N-` resumes from byte N (206).
 */
export class OutputStreams {
  private readonly entries = new Map<string, StreamEntry>()

  constructor(
    private readonly baseUrl: string,
    private readonly faults: FaultInjector
  ) {}

  /** Publishes a log and returns its output_stream_url. */
  publish(kind: 'builds' | 'releases', id: string, log: OutputLog): string {
    const path = `/streams/${kind}/${id}`
    this.entries.set(path, { log, gets: 0 })
    return `${this.baseUrl}${path}`
  }

  handles(pathname: string): boolean {
    return pathname.startsWith('/streams/')
  }

  serve(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    const entry = this.entries.get(pathname)
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method Not Allowed\n')
    if (!entry || ++entry.gets <= this.faults.streamNotFoundFirst) return plain(res, 404, 'Not Found\n')

    const { log } = entry
    const from = rangeStart(req.headers.range)
    if (from === undefined) return plain(res, 416, 'Invalid Range: only "bytes=N-" is supported\n')
    if (from > 0 && log.isEnded && from >= log.size) {
      res.setHeader('Content-Range', `bytes */${log.size}`)
      return plain(res, 416, 'Requested Range Not Satisfiable\n')
    }
    res.writeHead(from > 0 ? 206 : 200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-cache',
      'Accept-Ranges': 'bytes',
      // The total is only known once the log has ended.
      ...(from > 0 && log.isEnded ? { 'Content-Range': `bytes ${from}-${log.size - 1}/${log.size}` } : {})
    })
    if (req.method === 'HEAD') return void res.end()
    res.flushHeaders()

    void log.relayTo(res, from).then(() => res.end())
  }
}

/** An injected failure: build-output answers errors as plain text. */
export function failStream(res: ServerResponse, status: number): void {
  plain(res, status, `${STATUS_CODES[status] ?? 'Error'}\n`)
}

/** `bytes=N-` → N; no header → 0; any other form → undefined. */
function rangeStart(header: string | undefined): number | undefined {
  if (!header) return 0
  const match = /^bytes=(\d+)-$/.exec(header.trim())
  return match ? Number(match[1]) : undefined
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}
