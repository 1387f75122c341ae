/**
 * Who holds which branch node, kept where every run can see it: the pull requests' GitHub deployments.
 * Each deploy to a node starts with a claim, a deployment on the pull request's head in its environment
 * (`pr-12`) whose payload names the node. A node is held by the pull request of its newest claim, unless
 * that claim is `inactive` (the pull request closed, or was evicted) or the pull request is no longer
 * open. Nothing is written on Heroku for this: a config var would make a release and restart the dynos.
 */
import type { Deployment, DeploymentState, GitHubApi } from '../github/api.js'

/** The payload key that marks a deployment as a branch-node claim. */
const CLAIM_KEY = 'heroku_cd_branch_node'
/** How a claim that lost the race for its node starts its `inactive` status: readers pass over it. */
export const LOST = 'Lost the race for'

const PER_PAGE = 100
// 1000 deployments: far back enough to find every node's newest claims in a busy repository.
const MAX_PAGES = 10
// Claims read per node (newest first) before the history counts as known: more than a race leaves.
const CLAIMS_PER_NODE = 3

export interface Claim {
  /** The deployment's id: GitHub numbers them in the order they were made. */
  id: number
  node: string
  pullRequest: number
  createdAt: string
  /** A holder's claim: its newest status; undefined while it has none (the deploy is starting). */
  state?: DeploymentState
}

export interface Ledger {
  /** The claim by which an open pull request holds each held node; a node not in it is free. */
  holders: Map<string, Claim>
  /** The newest deployment id when the ledger was read: a re-check looks at the claims made after it. */
  seenUpTo: number
}

export interface LedgerOptions {
  /** Whether a pull request is open (the run's own is, and is not asked about). */
  isOpen(pullRequest: number): Promise<boolean>
  /** Claims to pass over: this run's own claims that lost a race. */
  lost?: ReadonlySet<number>
}

/** The payload of a claim of `node` for a pull request (`app` as every deployment of this action has it). */
export function claimPayload(node: string, pullRequest: number): Record<string, unknown> {
  return { app: node, pull_request: pullRequest, [CLAIM_KEY]: true }
}

export function claimOf(deployment: Deployment): Claim | undefined {
  const payload = deployment.payload
  if (!payload || typeof payload !== 'object') return undefined
  const fields = payload as Record<string, unknown>
  const { app, pull_request: pullRequest } = fields
  if (fields[CLAIM_KEY] !== true || typeof app !== 'string' || typeof pullRequest !== 'number') return undefined
  return { id: deployment.id, node: app, pullRequest, createdAt: deployment.created_at }
}

/** Reads who holds each node of the pool. */
export async function readLedger(github: GitHubApi, pool: readonly string[], options: LedgerOptions): Promise<Ledger> {
  const { claims, seenUpTo } = await recentClaims(github, pool)
  // A pull request's newest claim is the one it stands by; an older one elsewhere was left behind.
  const current = new Map<number, number>()
  for (const claim of claims) if (!current.has(claim.pullRequest)) current.set(claim.pullRequest, claim.id)

  const holders = new Map<string, Claim>()
  await Promise.all(
    pool.map(async (node) => {
      const holder = await holderOf(
        github,
        claims.filter((claim) => claim.node === node),
        current,
        options
      )
      if (holder) holders.set(node, holder)
    })
  )
  return { holders, seenUpTo }
}

/** The claim by which a pull request holds the node, from its claims newest first; undefined: free. */
async function holderOf(github: GitHubApi, onNode: readonly Claim[], current: ReadonlyMap<number, number>, options: LedgerOptions): Promise<Claim | undefined> {
  for (const claim of onNode) {
    if (options.lost?.has(claim.id) || current.get(claim.pullRequest) !== claim.id) continue
    const status = await github.latestDeploymentStatus(claim.id)
    if (status?.state === 'inactive') {
      if (status.description.startsWith(LOST)) continue
      return undefined // freed when its pull request closed, or evicted
    }
    // No status yet is a claim being made: held.
    return (await options.isOpen(claim.pullRequest)) ? { ...claim, state: status?.state } : undefined
  }
  return undefined
}

// The states of a deploy that has not ended.
const RUNNING: readonly (DeploymentState | undefined)[] = [undefined, 'queued', 'pending', 'in_progress']

/**
 * Whether the holder's deploy on its node may still be running: its claim has no final state yet and
 * was made less than `staleAfterMs` ago (an older open claim was left by a runner that was stopped).
 */
export function isDeploying(claim: Claim, now: number, staleAfterMs: number): boolean {
  return RUNNING.includes(claim.state) && now - Date.parse(claim.createdAt) < staleAfterMs
}

/** Branch-node claims on the pool, newest first, until every node has a few or the history ends. */
async function recentClaims(github: GitHubApi, pool: readonly string[]): Promise<{ claims: Claim[]; seenUpTo: number }> {
  const claims: Claim[] = []
  let seenUpTo = 0
  for (let page = 1; page <= MAX_PAGES; page++) {
    const deployments = await github.listDeployments(page, PER_PAGE)
    if (page === 1) seenUpTo = Math.max(0, ...deployments.map((deployment) => deployment.id))
    for (const deployment of deployments) {
      const claim = claimOf(deployment)
      if (claim && pool.includes(claim.node)) claims.push(claim)
    }
    if (deployments.length < PER_PAGE) break
    if (pool.every((node) => claims.filter((claim) => claim.node === node).length >= CLAIMS_PER_NODE)) break
  }
  return { claims, seenUpTo }
}

/**
 * Claims on `node` by other pull requests made after `sinceId` (the ledger's `seenUpTo`: a claim made
 * before it was seen, and the node chosen knowing it) and before `mineId`, this run's own claim. The
 * first claim wins: when there is one, this run lost the node.
 */
export async function rivalClaims(github: GitHubApi, node: string, pullRequest: number, sinceId: number, mineId: number): Promise<Claim[]> {
  const rivals: Claim[] = []
  for (let page = 1; page <= MAX_PAGES; page++) {
    const deployments = await github.listDeployments(page, PER_PAGE)
    for (const deployment of deployments) {
      const claim = claimOf(deployment)
      if (claim && claim.node === node && claim.pullRequest !== pullRequest && claim.id > sinceId && claim.id < mineId) rivals.push(claim)
    }
    if (deployments.length < PER_PAGE || deployments.some((deployment) => deployment.id <= sinceId)) break
  }
  return rivals
}
