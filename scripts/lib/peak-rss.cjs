// Preloaded into the action by the benchmark (NODE_OPTIONS=--require ...): at exit, the main thread
// writes the process's peak resident memory (KiB, worker threads included) to HEROKU_CD_PEAK_RSS_FILE.
const { isMainThread } = require('node:worker_threads')

if (isMainThread && process.env.HEROKU_CD_PEAK_RSS_FILE) {
  process.on('exit', () => {
    require('node:fs').writeFileSync(process.env.HEROKU_CD_PEAK_RSS_FILE, String(process.resourceUsage().maxRSS))
  })
}
