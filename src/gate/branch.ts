/** What the run deploys: the commit and branch, read from the event rather than only GITHUB_SHA. */
export interface Target {
  sha: string
  /** The branch the commit is on, or undefined (a tag, a detached ref). */
  branch?: string
  /** Set when the event itself says not to deploy (a workflow_run that did not succeed, a fork's pull request). */
  refusal?: string
  /** The pull request of a `pull_request` run. */
  pullRequest?: PullRequestEvent
}

/** What a `pull_request` event says about its pull request. */
export interface PullRequestEvent {
  number: number
  /** opened, synchronize, reopened, closed… */
  action: string
  /** The branch's tip: where GitHub shows a deployment on the pull request (GITHUB_SHA is the merge commit). */
  headSha: string
  headRef: string
  title?: string
  url?: string
  /** Set when the head branch is in another repository: 'the fork owner/name', or 'a fork since deleted'. */
  fork?: string
}

interface PullRequestPayload {
  action?: string
  number?: number
  pull_request?: {
    number?: number
    title?: string
    html_url?: string
    head?: { sha?: string; ref?: string; repo?: { full_name?: string } | null }
    base?: { repo?: { full_name?: string } }
  }
  repository?: { full_name?: string }
}

interface WorkflowRunPayload {
  workflow_run?: {
    head_sha?: string
    head_branch?: string | null
    conclusion?: string | null
    name?: string
    html_url?: string
    head_repository?: { full_name?: string } | null
    repository?: { full_name?: string }
  }
}

/**
 * `workflow_run` (the usual "deploy after CI" trigger) deploys the triggering run's head commit and
 * branch, and only when that run succeeded on a commit of this repository; every other event deploys
 * the run's own ref.
 */
export function resolveTarget(eventName: string, payload: unknown, env: NodeJS.ProcessEnv): Target {
  if (eventName === 'workflow_run') {
    const run = (payload as WorkflowRunPayload).workflow_run ?? {}
    const target: Target = { sha: (run.head_sha ?? '').trim(), branch: run.head_branch ?? undefined }
    const name = run.name ? `"${run.name}" ` : ''
    // A fork's pull request runs CI too, and its head_branch can be called anything, 'main' included.
    const fork = run.head_repository?.full_name
    if (fork && run.repository?.full_name && fork.toLowerCase() !== run.repository.full_name.toLowerCase()) {
      target.refusal = `The workflow run ${name}that triggered this one ran on a commit of the fork ${fork}: a fork's code is never deployed.`
    } else if (run.conclusion !== 'success') {
      target.refusal = `The workflow run ${name}that triggered this one concluded '${run.conclusion ?? 'unknown'}', not 'success': nothing is deployed.${run.html_url ? ` See ${run.html_url}` : ''}`
    }
    return target
  }
  const ref = env.GITHUB_REF ?? ''
  const branch = eventName.startsWith('pull_request') ? env.GITHUB_HEAD_REF : /^refs\/heads\/(.+)$/.exec(ref)?.[1]
  const target: Target = { sha: (env.GITHUB_SHA ?? '').trim(), branch: branch || undefined }
  if (eventName.startsWith('pull_request')) {
    const pullRequest = readPullRequest(payload as PullRequestPayload)
    if (pullRequest) target.pullRequest = pullRequest
    // pull_request runs the pull request's code (the merge commit): a fork's code must never get the team's key.
    if (eventName === 'pull_request' && pullRequest?.fork) {
      target.refusal = `Pull request #${pullRequest.number} comes from ${pullRequest.fork}: a fork's code is never deployed (it would run with this repository's Heroku key).`
    }
  }
  return target
}

function readPullRequest(payload: PullRequestPayload): PullRequestEvent | undefined {
  const pr = payload.pull_request
  const number = pr?.number ?? payload.number
  if (!pr || !number) return undefined
  const base = (pr.base?.repo?.full_name ?? payload.repository?.full_name ?? '').toLowerCase()
  const head = pr.head?.repo
  // A deleted fork leaves head.repo null: it was not this repository either.
  const fork = head === null ? 'a fork since deleted' : head?.full_name && head.full_name.toLowerCase() !== base ? `the fork ${head.full_name}` : undefined
  return {
    number,
    action: payload.action ?? '',
    headSha: (pr.head?.sha ?? '').toLowerCase(),
    headRef: pr.head?.ref ?? '',
    title: pr.title,
    url: pr.html_url,
    ...(fork ? { fork } : {})
  }
}

/** GitHub's filter globs: `*` matches within a path segment, `**` across segments. */
export function branchMatches(pattern: string, branch: string): boolean {
  const source = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === '**' ? '.*' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}$`).test(branch)
}

/** Why this run must not deploy, or undefined when it may. */
export function gateReason(target: Target, pattern: string, eventName = ''): string | undefined {
  if (target.refusal) return target.refusal
  if (!pattern) return undefined
  if (!target.branch) return `Not deployed: the run is not on a branch (input 'branch' is '${pattern}').${EVENT_HINTS[eventName] ?? ''}`
  if (!branchMatches(pattern, target.branch)) return `Not deployed: the branch '${target.branch}' does not match the 'branch' input '${pattern}'.${EVENT_HINTS[eventName] ?? ''}`
  return undefined
}

// The events whose ref a person does not pick in the workflow file: say where it came from.
const EVENT_HINTS: Record<string, string> = {
  schedule: " A scheduled run runs on the repository's default branch, at its newest commit: set 'branch' to the default branch to deploy it on a schedule.",
  workflow_dispatch:
    " A manual run deploys the branch or tag it was started on ('Use workflow from'): start it on a matching branch, or leave 'branch' empty in a workflow meant for manual deploys of any ref."
}
