/** Rewrites the README's reliability tables from the suite's own tables: `npm run reliability-tables`. */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { withTables } from './lib/reliability.js'
import { projectRoot } from './lib/run-action.js'

const file = path.join(projectRoot, 'README.md')
fs.writeFileSync(file, withTables(fs.readFileSync(file, 'utf8')))
console.log('README.md: reliability tables rewritten.')
