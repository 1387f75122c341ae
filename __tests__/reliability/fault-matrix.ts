/**
 * The fault matrix: every Heroku endpoint a deploy calls × every way a call can go wrong. The e2e
 * suite (e2e/fault-matrix.test.ts) runs one deploy per fault with that fault on every endpoint at once
 * and checks each cell; the README's table is rendered from these same rows (npm run reliability-tables),
 * and a test checks that the README shows exactly that.
 */
import type { RequestMatch } from '../../emulator/index.js'

export type FaultKind = 'retry-after' | '429' | '500' | '503' | 'reset' | 'lost' | 'slow' | 'cut'

export const FAULTS: { kind: FaultKind; title: string }[] = [
  { kind: 'retry-after', title: '429 + Retry-After' },
  { kind: '429', title: '429' },
  { kind: '500', title: '500' },
  { kind: '503', title: '503' },
  { kind: 'reset', title: 'reset before the answer' },
  { kind: 'lost', title: 'acted, answer lost' },
  { kind: 'slow', title: 'slower than the request timeout' },
  { kind: 'cut', title: 'answer stops mid-way' }
]

/** How the action may repeat a call (src/heroku/api.ts), which decides what each fault leads to. */
export type CallKind = 'read' | 'idempotent' | 'harmless' | 'lookFirst' | 'upload' | 'stream'

export interface Endpoint {
  name: string
  match: RequestMatch
  kind: CallKind
}

const APP = '[^/]+'
export const ENDPOINTS: Endpoint[] = [
  { name: 'GET /apps/{app}', match: { method: 'GET', path: new RegExp(`^/apps/${APP}$`) }, kind: 'read' },
  { name: 'GET /apps/{app}/releases (the rollback target)', match: { method: 'GET', path: new RegExp(`^/apps/${APP}/releases$`) }, kind: 'read' },
  { name: 'POST /sources', match: { method: 'POST', path: /^\/sources$/ }, kind: 'harmless' },
  { name: 'PUT the upload (presigned URL)', match: { method: 'PUT', path: /^\/blobs\// }, kind: 'upload' },
  { name: 'PATCH /apps/{app} (maintenance on)', match: { method: 'PATCH', path: new RegExp(`^/apps/${APP}$`) }, kind: 'idempotent' },
  { name: 'PATCH /apps/{app}/config-vars', match: { method: 'PATCH', path: new RegExp(`^/apps/${APP}/config-vars$`) }, kind: 'idempotent' },
  { name: 'POST /apps/{app}/builds', match: { method: 'POST', path: new RegExp(`^/apps/${APP}/builds$`) }, kind: 'lookFirst' },
  { name: 'GET the build output stream', match: { method: 'GET', path: /^\/streams\/builds\// }, kind: 'stream' },
  { name: 'GET /apps/{app}/builds/{id}', match: { method: 'GET', path: new RegExp(`^/apps/${APP}/builds/${APP}$`) }, kind: 'read' },
  { name: 'GET /apps/{app}/releases/{id}', match: { method: 'GET', path: new RegExp(`^/apps/${APP}/releases/${APP}$`) }, kind: 'read' },
  { name: 'GET the release-phase output stream', match: { method: 'GET', path: /^\/streams\/releases\// }, kind: 'stream' }
]

/** What the action does, per kind of call and fault: the words in the README's cells. */
export function cell(kind: CallKind, fault: FaultKind): string {
  if (fault === 'retry-after') return kind === 'stream' || kind === 'upload' ? 'retried' : 'waited as asked, retried'
  if (fault === '429' || fault === '503' || fault === '500' || fault === 'reset') {
    if (kind === 'lookFirst' && fault !== '429') return 'looked for, then sent again'
    return kind === 'stream' ? 'followed again' : 'retried'
  }
  // Heroku acted (lost, slow, cut): only what is safe to repeat is repeated.
  if (kind === 'lookFirst') return 'found, not sent again'
  if (kind === 'stream') return fault === 'cut' ? 'resumed at its byte' : 'followed again'
  if (kind === 'upload') return 'uploaded again (same bytes)'
  if (kind === 'harmless') return 'sent again (an unused blob)'
  if (kind === 'idempotent') return 'sent again (same state)'
  return 'retried'
}

/** The README's table: one row per endpoint, one column per fault; every row ends `success`, one build. */
export function faultMatrixTable(): string {
  const head = `| endpoint | ${FAULTS.map((f) => f.title).join(' | ')} |`
  const rule = `|:--|${FAULTS.map(() => ':--').join('|')}|`
  const rows = ENDPOINTS.map((e) => `| ${e.name} | ${FAULTS.map((f) => cell(e.kind, f.kind)).join(' | ')} |`)
  return [head, rule, ...rows].join('\n')
}
