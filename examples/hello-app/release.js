// The release phase: stands in for database migrations. A non-zero exit would stop the release.
const version = process.env.HEROKU_RELEASE_VERSION || 'unknown'

console.log(`Release phase for ${version}`)
console.log('Running migrations... 2 applied')
console.log('Migrations done')
