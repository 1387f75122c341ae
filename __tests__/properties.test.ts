/**
 * Property tests of every parser of the inputs (fast-check): whatever text arrives, each one either
 * answers or fails with its own validation error, never anything else; and what passes is well formed.
 */
import * as fc from 'fast-check'
import { Inputs } from '../src/constants.js'
import { checkMatches } from '../src/gate/checks.js'
import { branchMatches } from '../src/gate/branch.js'
import { parseConfigVars } from '../src/prepare/config-vars.js'
import { readSettings, SettingsError, splitList } from '../src/settings.js'
import { parseBuildpacks } from '../src/ship/buildpacks.js'
import { parseSmokeChecks, SmokeGrammarError } from '../src/verify/smoke-grammar.js'

// Any text, with the characters hostile input favours: line breaks, spaces, =, #, /, *, quotes, unicode.
const text = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc
    .array(
      fc.constantFrom('\n', '\r\n', ' ', '=', '#', '/', '*', '"', "'", '`', ';', '$', 'a', 'Z', '0', '9', '_', '-', '.', ':', 'http://', 'https://x.y', '200', '/health', 'е'),
      { maxLength: 60 }
    )
    .map((parts) => parts.join(''))
)

test('parseSmokeChecks: checks whose target is a path or an http(s) URL and status 100-599, or a SmokeGrammarError', () => {
  fc.assert(
    fc.property(text, (input) => {
      try {
        for (const check of parseSmokeChecks(input)) {
          expect(check.target.startsWith('/') || /^https?:\/\//i.test(check.target)).toBe(true)
          if (check.status !== undefined) expect(check.status >= 100 && check.status <= 599).toBe(true)
        }
      } catch (error) {
        expect(error).toBeInstanceOf(SmokeGrammarError)
        for (const problem of (error as SmokeGrammarError).problems) expect(problem).toMatch(/^Input 'smoke-checks' line \d+/)
      }
    })
  )
})

test('parseConfigVars: never throws; every key is a config var name; every value is masked; no problem quotes a value', () => {
  fc.assert(
    fc.property(text, (input) => {
      const masked: string[] = []
      const { vars, problems } = parseConfigVars(input, 'config-vars', (secret) => masked.push(secret))
      for (const [key, value] of Object.entries(vars)) {
        expect(key).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/)
        if (value.length >= 4) expect(masked).toContain(value)
      }
      for (const problem of problems) {
        expect(problem).toMatch(/^Input 'config-vars' line \d+/)
        for (const value of Object.values(vars)) if (value.length >= 4) expect(problem).not.toContain(value)
      }
    })
  )
})

test('parseBuildpacks: never throws; what passes is a registry name or an http(s) URL without credentials', () => {
  fc.assert(
    fc.property(text, (input) => {
      const { buildpacks, problems } = parseBuildpacks(input, 'buildpacks')
      for (const buildpack of buildpacks) {
        if (/^https?:/i.test(buildpack)) {
          const url = new URL(buildpack)
          expect(url.username + url.password).toBe('')
        } else expect(buildpack).toMatch(/^(urn:buildpack:)?[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9._-]*$/i)
      }
      for (const problem of problems) expect(problem).toMatch(/^Input 'buildpacks' line \d+/)
    })
  )
})

test('splitList, branchMatches, checkMatches: never throw, whatever the pattern', () => {
  fc.assert(
    fc.property(text, text, (pattern, name) => {
      for (const item of splitList(pattern)) expect(item).toBe(item.trim())
      expect(typeof branchMatches(pattern, name)).toBe('boolean')
      expect(typeof checkMatches(pattern, name)).toBe('boolean')
      // A pattern without * matches exactly itself.
      if (!pattern.includes('*')) expect(checkMatches(pattern, name)).toBe(pattern === name)
      expect(checkMatches(`*${name}*`, `a/${name}/b`)).toBe(true)
    })
  )
})

// Every input the action reads (constants.ts), so a new one is fuzzed too.
const INPUTS = Object.values(Inputs)

test('readSettings: any value of any input either reads or fails with a SettingsError whose every problem names what to fix', () => {
  const env = { GITHUB_WORKSPACE: process.cwd(), GITHUB_SHA: 'a'.repeat(40), GITHUB_REPOSITORY: 'octo/app' }
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...INPUTS), text, { maxKeys: 6 }), (values) => {
      const inputs: Record<string, string> = { 'api-key': 'HRKU-key', app: 'my-app', 'github-token': 'ghs-token', ...values }
      try {
        const settings = readSettings(
          (name) => inputs[name] ?? '',
          env,
          () => undefined
        )
        expect(settings.apps.length).toBeGreaterThan(0)
        expect(settings.timeoutMs).toBeGreaterThanOrEqual(1000)
        // A release to promote is an id or a version, and has somewhere to go; environments map apps of the step.
        if (settings.promoteRelease !== undefined) {
          expect(settings.promoteRelease).toMatch(/^([1-9]\d*|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/)
          expect(settings.promoteTo.length).toBeGreaterThan(0)
        }
        for (const app of Object.keys(settings.environments)) expect([...settings.apps, ...settings.promoteTo]).toContain(app)
      } catch (error) {
        expect(error).toBeInstanceOf(SettingsError)
        for (const problem of (error as SettingsError).problems) expect(problem).toMatch(/^(Input '[a-z-]+'|[A-Z_]+ (must|is))/)
      }
    }),
    { numRuns: 300 }
  )
})
