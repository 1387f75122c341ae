// The build step: records when and with what the slug was built.
const fs = require('node:fs')

const info = { builtAt: new Date().toISOString(), node: process.version, commit: process.env.SOURCE_VERSION || null }
fs.writeFileSync('build-info.json', `${JSON.stringify(info, null, 2)}\n`)
console.log(`Built hello-app with Node ${info.node}`)
console.log('Wrote build-info.json')
