/**
 * Inputs are a contract: every input action.yml declares is one the code reads (constants.ts) and a row
 * of the README's input table, and the other way round, so that none is accepted and then ignored.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { Inputs } from '../src/constants.js'
import { actionDefaults, projectRoot } from '../scripts/lib/run-action.js'

function readmeInputs(): string[] {
  const readme = fs.readFileSync(path.join(projectRoot, 'README.md'), 'utf8')
  const table = /^## Inputs\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? ''
  return [...table.matchAll(/^\| `([a-z][a-z0-9-]*)` \|/gm)].map((match) => match[1])
}

test('action.yml, the code and the README name the same inputs', () => {
  const declared = Object.keys(actionDefaults()).sort()
  expect(declared).toContain('promote-to')
  expect(Object.values(Inputs).sort()).toEqual(declared)
  expect(readmeInputs().sort()).toEqual(declared)
})
