import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import type { Release } from '@heroku-cli/schema'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { type Page, paginate, parseRange, type RangeField } from '../../emulator/ranges.js'
import { API_KEY, api } from './support.js'

describe('Range header parsing', () => {
  const fields = ['id', 'version']

  test.each([
    ['version ..; max=1, order=desc', { field: 'version', max: 1, order: 'desc' }],
    ['version ..; order=desc,max=1', { field: 'version', max: 1, order: 'desc' }],
    ['id ..; max=1000', { field: 'id', max: 1000, order: 'asc' }],
    ['id ..; max=200;', { field: 'id', max: 200, order: 'asc' }],
    ['version 3..7', { field: 'version', start: '3', end: '7', max: 200 }],
    ['version ]3..; max=2', { field: 'version', start: '3', startExclusive: true, max: 2 }],
    ['version ..; max=5000', { max: 1000 }]
  ])('%s', (header, expected) => {
    expect(parseRange(header, fields, 'id')).toMatchObject(expected)
  })

  test('no header: the default field, ascending, 200 at most', () => {
    expect(parseRange(undefined, fields, 'id')).toEqual({ field: 'id', startExclusive: false, max: 200, order: 'asc' })
  })

  test.each(['name ..', 'version ..; max=0', 'version ..; order=sideways', 'version 5'])('%s is refused with 416', (header) => {
    expect(() => parseRange(header, fields, 'id')).toThrow(expect.objectContaining({ status: 416, id: 'requested_range_not_satisfiable' }))
  })

  test('paginate walks pages through Next-Range until the list is complete', () => {
    const items = [1, 2, 3, 4, 5]
    const field: RangeField<number> = { key: (n) => n, parse: (v) => Number(v), format: (n) => String(n) }
    const seen: number[][] = []
    let header: string | undefined = 'version ..; max=2, order=desc'
    while (header) {
      const page: Page<number> = paginate(items, parseRange(header, ['version'], 'version'), field)
      seen.push(page.items)
      header = page.nextRange
    }
    expect(seen).toEqual([[5, 4], [3, 2], [1]])
  })
})

describe('ranges on release and build lists', () => {
  const APP = 'range-app'
  let emulator: Emulator
  const list = (pathname: string, range?: string) => api<Release[]>(emulator, 'GET', pathname, { headers: { Range: range } })
  const versions = (releases: Release[]) => releases.map((r) => r.version as number)

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: API_KEY, apps: [APP] })
    // Config changes on an app without code are releases that settle at once: five cheap releases.
    for (let i = 1; i <= 5; i++) await api(emulator, 'PATCH', `/apps/${APP}/config-vars`, { body: { STEP: String(i) } })
  })

  afterAll(() => emulator.close())

  test('without a Range: every release, oldest first, 200', async () => {
    const answer = await list(`/apps/${APP}/releases`)
    expect(answer.status).toBe(200)
    expect(versions(answer.json)).toEqual([1, 2, 3, 4, 5])
    expect(answer.headers.get('next-range')).toBeNull()
    expect(answer.headers.get('accept-ranges')).toContain('version')
  })

  test("heroku-client's default `id ..; max=1000` lists in creation order", async () => {
    expect(versions((await list(`/apps/${APP}/releases`, 'id ..; max=1000')).json)).toEqual([1, 2, 3, 4, 5])
  })

  test('the latest release: `version ..; max=1, order=desc` → 206 + Next-Range', async () => {
    for (const range of ['version ..; max=1, order=desc', 'version ..; order=desc,max=1']) {
      const answer = await list(`/apps/${APP}/releases`, range)
      expect(answer.status).toBe(206)
      expect(versions(answer.json)).toEqual([5])
      expect(answer.headers.get('next-range')).toBe('version ]5..; max=1, order=desc')
    }
  })

  test('following Next-Range walks the rest; the last page is 200', async () => {
    const pages: number[][] = []
    let range: string | null = 'version ..; max=2, order=desc'
    let status = 0
    while (range) {
      const answer = await list(`/apps/${APP}/releases`, range)
      pages.push(versions(answer.json))
      status = answer.status
      range = answer.headers.get('next-range')
    }
    expect(pages).toEqual([[5, 4], [3, 2], [1]])
    expect(status).toBe(200)
  })

  test('id ranges page in creation order too', async () => {
    const first = await list(`/apps/${APP}/releases`, 'id ..; max=3')
    expect(versions(first.json)).toEqual([1, 2, 3])
    const rest = await list(`/apps/${APP}/releases`, first.headers.get('next-range') as string)
    expect(rest.status).toBe(200)
    expect(versions(rest.json)).toEqual([4, 5])
  })

  test('a bad Range is 416 requested_range_not_satisfiable', async () => {
    const answer = await list(`/apps/${APP}/releases`, 'color ..')
    expect(answer.status).toBe(416)
    expect(answer.json).toMatchObject({ id: 'requested_range_not_satisfiable' })
  })

  test('build lists accept the CLI’s `created_at ..; max=10, order=desc`', async () => {
    const answer = await list(`/apps/${APP}/builds`, 'created_at ..; max=10, order=desc')
    expect(answer.status).toBe(200)
    expect(answer.json).toEqual([])
  })
})
