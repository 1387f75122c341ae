/**
 * Branch nodes: with `branch-nodes`, `app` is a pool of apps that serve pull requests, one node per
 * pull request. The gate turns the pool into exactly one node before the normal run: the node this pull
 * request already holds; else a free node (held by no open pull request) whose last release is the
 * oldest; when every node is held, the one whose holder was deployed the longest ago (evicted, and told
 * so). The choice is claimed as the pull request's GitHub deployment (node-ledger.ts) and checked again
 * after claiming, so that two runs choosing at the same moment never both take one free node. A node whose
 * holder is still deploying is never taken. When the pull request closes, nothing is built: its node is freed.
 */
import { CancelledError, oneLine } from '../errors.js'
import type { GitHubApi, NewDeployment, NewDeploymentStatus } from '../github/api.js'
import { createFindable } from '../github/unanswered.js'
import type { HerokuApi } from '../heroku/api.js'
import type { HerokuApp } from '../heroku/types.js'
import type { Log } from '../log.js'
import { type BranchNodeReport, type NodeChoiceKind, newResult, type RunResult } from '../result.js'
import type { Settings } from '../settings.js'
import { CleanupWindow } from '../util/cleanup.js'
import type { PullRequestEvent } from './branch.js'
import { lookUpApps } from './access.js'
import { type Claim, claimPayload, isDeploying, type Ledger, LOST, readLedger, rivalClaims } from './node-ledger.js'

// Runs that lose a race choose again; more losses than this in a row means something else is wrong.
const MAX_CLAIMS = 3

export interface NodeChoice {
  node: string
  choice: NodeChoiceKind
  /** With `evicted`: the claim of the pull request that loses the node. */
  evicted?: Claim
}

/**
 * Which node a pull request gets, from who holds what and when each node was last released (a pure
 * function: the gate's rule). A node never released counts as the oldest; ties go in pool order. A node
 * whose holder is `deploying` there is never taken from it (two runs would deploy it at once): when
 * every node is, this throws, naming them.
 */
export function chooseNode(pool: readonly HerokuApp[], ledger: Ledger, pullRequest: number, deploying: (claim: Claim) => boolean = () => false): NodeChoice {
  const held = pool.find((app) => ledger.holders.get(app.name)?.pullRequest === pullRequest)
  if (held) return { node: held.name, choice: 'held' }
  const free = pool.filter((app) => !ledger.holders.has(app.name))
  if (free.length > 0) {
    const releasedAt = (app: HerokuApp): number => (app.released_at ? Date.parse(app.released_at) : Number.NEGATIVE_INFINITY)
    const oldest = free.reduce((best, app) => (releasedAt(app) < releasedAt(best) ? app : best))
    return { node: oldest.name, choice: 'free' }
  }
  const claims = pool.map((app) => ledger.holders.get(app.name) as Claim)
  const idle = claims.filter((claim) => !deploying(claim))
  if (idle.length === 0) {
    const busy = claims.map((claim) => `${claim.node} (#${claim.pullRequest}, since ${claim.createdAt})`).join(', ')
    throw new Error(
      `every node is being deployed by another pull request: ${busy}. Taking one would have two runs deploy it at once; run the job again once one of them ends, or add a node to the pool.`
    )
  }
  const oldest = idle.reduce((best, claim) => (deployedBefore(claim, best) ? claim : best))
  return { node: oldest.node, choice: 'evicted', evicted: oldest }
}

/**
 * How long after its claim a deploy with these settings has surely ended (required checks, build and
 * release, smoke checks and those of a rollback, and 5 minutes for the rest): an open claim older than
 * that was left by a runner that was stopped, and its node may be taken.
 */
export function deployBoundMs(settings: Settings): number {
  return settings.checksTimeoutMs + settings.timeoutMs + 2 * settings.smokeTimeoutMs + 5 * 60_000
}

function deployedBefore(a: Claim, b: Claim): boolean {
  const [at, bt] = [Date.parse(a.createdAt), Date.parse(b.createdAt)]
  return at === bt ? a.id < b.id : at < bt
}

export interface NodeGateDeps {
  api: HerokuApi
  github?: GitHubApi
  log: Log
  signal?: AbortSignal
  /** After a cancel, the window every cleanup step shares. */
  cleanup?: CleanupWindow
}

/** The run narrowed to one node, with the deployment that claims it (none in a dry run). */
export interface TakenNode {
  settings: Settings
  report: BranchNodeReport
  deploymentId?: number
}

/**
 * The pool becomes one node (the returned settings deploy to it alone), or, when the pull request
 * closed or the choice failed, the run ends here with its result.
 */
export async function branchNodeGate(settings: Settings, deps: NodeGateDeps): Promise<TakenNode | { done: RunResult }> {
  const started = Date.now()
  const pr = settings.target.pullRequest
  const github = deps.github
  // Settings insist on both (a pull_request run, github-deployment on); this keeps the types honest.
  if (!pr || !github) throw new Error('branch-nodes needs a pull_request run and the GitHub API')
  const report: BranchNodeReport = { pullRequest: { number: pr.number, title: pr.title, url: pr.url }, environment: pullRequestEnvironment(settings, pr.number) }
  const nodes = new BranchNodes(settings, { ...deps, github }, pr, report)
  try {
    if (pr.action === 'closed') return { done: { ...(await nodes.free()), durationMs: Date.now() - started } }
    return await nodes.take()
  } catch (error) {
    const cancelled = deps.signal?.aborted || error instanceof CancelledError
    // The step's failure message carries the reason to the log.
    const why = cancelled ? 'The job was cancelled while choosing a branch node.' : `Branch nodes: ${oneLine(error)}`
    const reason = nodes.unsettledClaim ? `${why} ${nodes.unsettledClaim}` : why
    return { done: { status: cancelled ? 'cancelled' : 'failure', apps: [], reason, durationMs: Date.now() - started, branchNode: report } }
  }
}

/** The GitHub environment of a pull request's deployments: `pr-12`, or `<environment>-pr-12`. */
export function pullRequestEnvironment(settings: Settings, pullRequest: number): string {
  return `${settings.environment ? `${settings.environment}-` : ''}pr-${pullRequest}`
}

class BranchNodes {
  private readonly open = new Map<number, Promise<boolean>>()
  private readonly cleanup: CleanupWindow
  /** A claim whose create got no answer, and that was not found: what the report must say about it. */
  unsettledClaim?: string

  constructor(
    private readonly settings: Settings,
    private readonly deps: NodeGateDeps & { github: GitHubApi },
    private readonly pr: PullRequestEvent,
    private readonly report: BranchNodeReport
  ) {
    this.cleanup = deps.cleanup ?? new CleanupWindow(deps.signal)
  }

  /** Chooses a node and claims it; a claim that lost a race is withdrawn and the choice made again. */
  async take(): Promise<TakenNode> {
    const { settings, deps, pr, report } = this
    const pool = await lookUpApps(settings, deps, settings.apps.map(newResult))
    const lost = new Set<number>()
    for (let attempt = 1; attempt <= MAX_CLAIMS; attempt++) {
      const ledger = await this.ledger(lost)
      const now = Date.now()
      const choice = chooseNode(pool, ledger, pr.number, (claim) => isDeploying(claim, now, deployBoundMs(settings)))
      Object.assign(report, { node: choice.node, choice: choice.choice, evicted: undefined })
      if (choice.evicted) report.evicted = { pullRequest: choice.evicted.pullRequest, deployedAt: choice.evicted.createdAt }
      const app = pool.find((candidate) => candidate.name === choice.node) as HerokuApp
      if (settings.dryRun) {
        deps.log.info(`Dry run: #${pr.number} would get ${describeChoice(report)}.`)
        return { settings: this.narrowed(app), report }
      }
      const deploymentId = await this.claim(choice.node)
      try {
        const rivals = await rivalClaims(deps.github, choice.node, pr.number, ledger.seenUpTo, deploymentId)
        if (rivals.length === 0) {
          deps.log.info(`Branch node: #${pr.number} gets ${describeChoice(report)}.`)
          if (choice.evicted) await this.evict(choice.evicted)
          return { settings: this.narrowed(app), report, deploymentId }
        }
        const winner = rivals.reduce((first, rival) => (rival.id < first.id ? rival : first)).pullRequest
        lost.add(deploymentId)
        deps.log.info(`Branch node: #${winner} claimed ${choice.node} at the same moment, and first; choosing again.`)
        await this.setStatus(deploymentId, { state: 'inactive', description: `${LOST} ${choice.node} (#${winner} claimed it first): deployed elsewhere.` })
      } catch (error) {
        await this.closeClaim(deploymentId, error)
        throw error
      }
    }
    throw new Error(`#${pr.number} lost the race for a node ${MAX_CLAIMS} times in a row to runs of other pull requests; run the job again.`)
  }

  /** The pull request closed: nothing is built; its node is freed (and, with branch-nodes-idle, put in maintenance). */
  async free(): Promise<Omit<RunResult, 'durationMs'>> {
    const { settings, deps, pr, report } = this
    const ledger = await this.ledger(new Set())
    const holding = [...ledger.holders.values()].find((claim) => claim.pullRequest === pr.number)
    if (!holding) {
      const reason = `Pull request #${pr.number} closed, holding no branch node (it was evicted, or never deployed): nothing to free, nothing was deployed.`
      deps.log.notice(reason)
      return { status: settings.dryRun ? 'dry-run' : 'skipped', apps: [], reason, branchNode: report }
    }
    const node = holding.node
    report.node = node
    const result = newResult(node)
    if (settings.dryRun) {
      deps.log.info(`Dry run: pull request #${pr.number} closed; ${node} would be freed${settings.branchNodesIdle === 'maintenance' ? ' and put in maintenance mode' : ''}.`)
      result.status = 'dry-run'
      return { status: 'dry-run', apps: [result], branchNode: report }
    }
    await this.setStatus(holding.id, { state: 'inactive', description: `Pull request #${pr.number} closed: ${node} is free for the next one.` })
    report.freed = true
    deps.log.info(`Branch node: pull request #${pr.number} closed; ${node} is free for the next pull request. Nothing was built.`)
    if (settings.branchNodesIdle === 'maintenance') {
      const app = await deps.api.setMaintenance(node, true)
      result.appUrl = app.web_url ?? undefined
      deps.log.info(`Maintenance mode is on for ${node} until a pull request gets it (branch-nodes-idle: maintenance).`)
    }
    result.reason = `Pull request #${pr.number} closed: nothing was built, ${node} is free.`
    return { status: 'skipped', apps: [result], branchNode: report }
  }

  private ledger(lost: ReadonlySet<number>): Promise<Ledger> {
    return readLedger(this.deps.github, this.settings.apps, { lost, isOpen: (pullRequest) => this.isOpen(pullRequest) })
  }

  /** The run's own pull request is open (or, closing, still has its node to free); others are asked once. */
  private isOpen(pullRequest: number): Promise<boolean> {
    if (pullRequest === this.pr.number) return Promise.resolve(true)
    let open = this.open.get(pullRequest)
    if (!open) {
      open = this.deps.github.pullRequest(pullRequest).then((found) => found.state === 'open')
      this.open.set(pullRequest, open)
    }
    return open
  }

  /**
   * The claim: the pull request's deployment on its head, naming the node. When its create got no clear
   * answer, the claim it may have made is looked for by its mark and closed like any claim after a
   * failure; one not found is reported (unanswered.ts).
   */
  private async claim(node: string): Promise<number> {
    const { deps, pr } = this
    const claim: NewDeployment = {
      sha: pr.headSha,
      environment: this.report.environment,
      description: `heroku-cd: #${pr.number} on the branch node ${node}`,
      payload: claimPayload(node, pr.number),
      transient: true
    }
    const created = await createFindable({ ...deps, cleanup: this.cleanup }, claim, {
      what: `the claim of ${node} for #${pr.number}`,
      found: 'it is closed',
      ifMade: `holds ${node} for #${pr.number}, with no final state, until the pull request's next run or its close`
    })
    if (created.answered) return created.id
    if (created.id !== undefined) await this.closeClaim(created.id, created.error)
    this.unsettledClaim = created.unsettled
    throw created.error
  }

  /** The claim stays the pull request's (it keeps the node it chose), marked as not deployed. */
  private async closeClaim(deploymentId: number, error: unknown): Promise<void> {
    const cancelled = this.cancelled(error)
    const status: NewDeploymentStatus = { state: 'error', description: cancelled ? 'Cancelled before anything was deployed.' : `Not deployed: ${oneLine(error)}` }
    await this.deps.github.createDeploymentStatus(deploymentId, status, { afterCancel: cancelled }).catch(() => undefined)
  }

  private cancelled(error: unknown): boolean {
    return this.deps.signal?.aborted === true || error instanceof CancelledError
  }

  /** The evicted pull request's deployment says what happened; not saying it never stops the deploy. */
  private async evict(claim: Claim): Promise<void> {
    const { deps, pr } = this
    deps.log.warning(
      `Every branch node was in use: #${claim.pullRequest}, deployed longest ago (${claim.createdAt}), loses ${claim.node} to #${pr.number}. It gets a node again on its next push.`
    )
    try {
      await this.setStatus(claim.id, { state: 'inactive', description: `Evicted from ${claim.node} by #${pr.number}: every node was in use. Push again to get a node.` })
    } catch (error) {
      if (error instanceof CancelledError) throw error
      deps.log.warning(`Could not mark the deployment ${claim.id} of #${claim.pullRequest} as evicted: ${oneLine(error)}`)
    }
  }

  private setStatus(deploymentId: number, status: NewDeploymentStatus): Promise<void> {
    return this.deps.github.createDeploymentStatus(deploymentId, status)
  }

  /** The run's settings for the one node. A node idle in maintenance mode stays in it through the release. */
  private narrowed(app: HerokuApp): Settings {
    const idle = app.maintenance === true && !this.settings.maintenance
    if (idle) this.deps.log.info(`${app.name} is idle in maintenance mode: it stays on through the release and goes off once the release settled.`)
    return Object.freeze({ ...this.settings, apps: Object.freeze([app.name]), maintenance: this.settings.maintenance || idle })
  }
}

/** How the node was chosen, for the log, the summary and the notifications. */
export function describeChoice(report: BranchNodeReport): string {
  switch (report.choice) {
    case 'held':
      return `${report.node}, the node it already holds`
    case 'free':
      return `${report.node}, the free node released longest ago`
    case 'evicted':
      return `${report.node}, taken from #${report.evicted?.pullRequest}: every node was in use, and its deploy there (${report.evicted?.deployedAt}) was the oldest`
    default:
      return report.node ?? 'no node'
  }
}
