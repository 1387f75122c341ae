import * as fs from 'node:fs'
import * as path from 'node:path'
import { withTables } from '../../scripts/lib/reliability.js'
import { projectRoot } from '../../scripts/lib/run-action.js'

test("the README's reliability tables are the suite's own (run `npm run reliability-tables` after changing a table)", () => {
  const readme = fs.readFileSync(path.join(projectRoot, 'README.md'), 'utf8')
  expect(readme).toBe(withTables(readme))
})
