import { errorForStatus } from './errors.js'

/**
 * List ranges as Heroku parses them (reference §1.4):
 *   `<field> [[]<start>]..[<end>][; max=<n>][, order=asc|desc]`
 * with `;` or `,` between parameters in any order (`; max=1, order=desc`, `; order=desc,max=1`).
 * A leading `]` on the start makes it exclusive; Next-Range uses that to continue after the last item.
 */
export interface ListRange {
  field: string
  start?: string
  startExclusive: boolean
  end?: string
  max: number
  order: 'asc' | 'desc'
}

export const DEFAULT_MAX = 200
export const MAX_MAX = 1000

export function parseRange(header: string | undefined, fields: readonly string[], defaultField: string): ListRange {
  const text = header?.trim() ?? ''
  if (!text) return { field: defaultField, startExclusive: false, max: DEFAULT_MAX, order: 'asc' }
  const [, field, rest = ''] = /^([\w-]+)\s*(.*)$/s.exec(text) ?? []
  if (!field || !fields.includes(field)) throw badRange(`Invalid range field "${field ?? text}". Valid fields: ${fields.join(', ')}.`)

  const split = rest.search(/[;,]/)
  const bounds = (split < 0 ? rest : rest.slice(0, split)).trim()
  const params =
    split < 0
      ? []
      : rest
          .slice(split + 1)
          .split(/[;,]/)
          .map((p) => p.trim())
          .filter(Boolean)

  const range: ListRange = { field, startExclusive: false, max: DEFAULT_MAX, order: 'asc' }
  if (bounds) {
    const dots = bounds.indexOf('..')
    if (dots < 0) throw badRange(`Invalid range "${bounds}": expected <start>..<end>.`)
    let start = bounds.slice(0, dots).trim()
    if (start.startsWith(']')) {
      range.startExclusive = true
      start = start.slice(1)
    }
    const end = bounds.slice(dots + 2).trim()
    if (start) range.start = start
    if (end) range.end = end
  }
  for (const param of params) {
    const [key, value = ''] = param.split('=', 2).map((s) => s.trim())
    if (key === 'max') {
      const max = Number(value)
      if (!Number.isInteger(max) || max < 1) throw badRange(`Invalid max "${value}".`)
      range.max = Math.min(max, MAX_MAX)
    } else if (key === 'order') {
      if (value !== 'asc' && value !== 'desc') throw badRange(`Invalid order "${value}": use asc or desc.`)
      range.order = value
    }
  }
  return range
}

/** How a list sorts by one range field: a sort key per item, and the same key space for a range bound. */
export interface RangeField<T> {
  /** `index` is the item's position in creation order. */
  key(item: T, index: number): number | string
  /** The key a bound written in the header stands for (undefined: no such value). */
  parse(value: string, all: readonly T[]): number | string | undefined
  /** What Next-Range writes for an item. */
  format(item: T): string
}

export interface Page<T> {
  items: T[]
  /** Set when the list was truncated: the header value that fetches the rest. */
  nextRange?: string
}

export function paginate<T>(all: readonly T[], range: ListRange, field: RangeField<T>): Page<T> {
  const direction = range.order === 'asc' ? 1 : -1
  const compare = (a: number | string, b: number | string) => (a < b ? -1 : a > b ? 1 : 0) * direction
  const bound = (value: string | undefined) => {
    if (value === undefined) return undefined
    const key = field.parse(value, all)
    if (key === undefined) throw badRange(`Invalid range value "${value}" for ${range.field}.`)
    return key
  }
  const start = bound(range.start)
  const end = bound(range.end)

  const selected = all
    .map((item, index) => ({ item, index, key: field.key(item, index) }))
    .sort((a, b) => compare(a.key, b.key) || (a.index - b.index) * direction)
    .filter(({ key }) => {
      if (start !== undefined && (range.startExclusive ? compare(key, start) <= 0 : compare(key, start) < 0)) return false
      return end === undefined || compare(key, end) <= 0
    })
    .map(({ item }) => item)
  if (selected.length <= range.max) return { items: selected }

  const items = selected.slice(0, range.max)
  const last = items[items.length - 1]
  const params = range.order === 'desc' ? `; max=${range.max}, order=desc` : `; max=${range.max}`
  return { items, nextRange: `${range.field} ]${field.format(last)}..${range.end ?? ''}${params}` }
}

const badRange = (message: string) => errorForStatus(416, message)
