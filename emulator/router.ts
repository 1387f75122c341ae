import { randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http'
import type { Dyno } from './dynos.js'

/** Connection-level headers a proxy must not forward (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'])

/**
 * An app's router: its own HTTP server on a port allocated when the app is created (the app's web_url),
 * proxying every request to the web dyno of the current release, like Heroku's router.
 */
export class Router {
  private dyno?: Dyno

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly appName: string,
    private readonly inMaintenance: () => boolean,
    private readonly log: (line: string) => void
  ) {
    server.on('request', (req, res) => this.handle(req, res))
  }

  static async start(appName: string, inMaintenance: () => boolean, log: (line: string) => void): Promise<Router> {
    const server = createServer()
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as { port: number }
    return new Router(server, port, appName, inMaintenance, log)
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`
  }

  /** Sends new requests to `dyno` (undefined: nothing serves the app). In-flight requests finish where they are. */
  routeTo(dyno: Dyno | undefined): void {
    this.dyno = dyno
  }

  get target(): Dyno | undefined {
    return this.dyno
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = headerText(req.headers['x-request-id']) || randomUUID()
    const started = Date.now()
    const logLine = (status: number, code?: string) =>
      this.log(
        `${this.appName} heroku[router]: ${code ? `at=error code=${code} ` : ''}method=${req.method} path="${req.url}" request_id=${requestId} status=${status} service=${Date.now() - started}ms`
      )

    if (this.inMaintenance()) {
      logLine(503, 'H80')
      return page(req, res, MAINTENANCE_PAGE)
    }
    const dyno = this.dyno
    if (!dyno?.serving) {
      logLine(503, dyno ? 'H10' : 'H14')
      return page(req, res, APPLICATION_ERROR_PAGE)
    }

    const upstream = request(
      {
        host: '127.0.0.1',
        port: dyno.port,
        method: req.method,
        path: req.url,
        headers: forwardedHeaders(req, this.port, requestId),
        agent: false // a fresh connection per request, so an old dyno's keep-alive sockets never outlive a switch
      },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.statusMessage, withoutHopByHop(response.headers))
        response.pipe(res)
        response.on('end', () => logLine(response.statusCode ?? 502))
      }
    )
    upstream.on('error', () => {
      if (res.headersSent) return void res.destroy()
      logLine(503, 'H13')
      page(req, res, APPLICATION_ERROR_PAGE)
    })
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy()
    })
    req.pipe(upstream)
  }
}

function forwardedHeaders(req: IncomingMessage, routerPort: number, requestId: string): IncomingHttpHeaders {
  const forwardedFor = [headerText(req.headers['x-forwarded-for']), req.socket.remoteAddress].filter(Boolean).join(', ')
  return {
    ...withoutHopByHop(req.headers),
    'x-forwarded-for': forwardedFor,
    'x-forwarded-proto': 'http',
    'x-forwarded-port': String(routerPort),
    'x-request-id': requestId,
    'x-request-start': String(Date.now()),
    via: '1.1 vegur'
  }
}

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)))
}

function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '')
}

const MAINTENANCE_PAGE = htmlPage('Offline for Maintenance', 'This app is in maintenance mode. Please check back soon.')
const APPLICATION_ERROR_PAGE = htmlPage(
  'Application Error',
  'An error occurred in the application and your page could not be served. If you are the application owner, check your logs for details.'
)

function htmlPage(title: string, message: string): string {
  return `<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"><title>${title}</title></head>\n<body><h1>${title}</h1><p>${message}</p></body>\n</html>\n`
}

/** Heroku's router answers 503 with an HTML page for maintenance and for apps that cannot serve. */
function page(req: IncomingMessage, res: ServerResponse, html: string): void {
  req.resume()
  res.writeHead(503, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(html), 'Cache-Control': 'no-cache, no-store' })
  res.end(req.method === 'HEAD' ? undefined : html)
}
