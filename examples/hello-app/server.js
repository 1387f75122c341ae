// The web process: listens on $PORT, as every Heroku web dyno must.
const fs = require('node:fs')
const http = require('node:http')

const release = process.env.HEROKU_RELEASE_VERSION || 'unknown'
const commit = process.env.HEROKU_SLUG_COMMIT || null
const buildInfo = readBuildInfo()

const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname
  if (path === '/') return send(res, 200, 'text/plain', `Hello from hello-app! Release ${release}\n`)
  if (path === '/health') return send(res, 200, 'text/plain', 'ok')
  if (path === '/version') {
    return send(res, 200, 'application/json', JSON.stringify({ release, commit, builtAt: buildInfo.builtAt || null, pid: process.pid }))
  }
  send(res, 404, 'text/plain', 'Not found\n')
})

server.listen(Number(process.env.PORT) || 5000, () => console.log(`hello-app ${release} listening on port ${server.address().port}`))

// Heroku sends SIGTERM before stopping a dyno: finish in-flight requests, then exit.
process.on('SIGTERM', () => {
  console.log('SIGTERM received, closing the server')
  server.close(() => process.exit(0))
  server.closeIdleConnections()
})

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type })
  res.end(body)
}

function readBuildInfo() {
  try {
    return JSON.parse(fs.readFileSync(`${__dirname}/build-info.json`, 'utf8'))
  } catch {
    return {}
  }
}
