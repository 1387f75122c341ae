// Preloaded into the action by the benchmark (NODE_OPTIONS=--require ...): at exit, the main thread
// writes the process's peak resident memory (KiB, worker threads included) to HEROKU_CD_PEAK_RSS_FILE.
// Linux's VmHWM is the peak of this program alone; getrusage's maxrss also counts what the parent had
// when it forked the process (the kernel carries it across exec), so it reads a big parent's size.
const { isMainThread } = require('node:worker_threads')
const fs = require('node:fs')

function peakKiB() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))
    if (match) return Number(match[1])
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS
}

if (isMainThread && process.env.HEROKU_CD_PEAK_RSS_FILE) {
  process.on('exit', () => fs.writeFileSync(process.env.HEROKU_CD_PEAK_RSS_FILE, String(peakKiB())))
}
