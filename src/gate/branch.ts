/** What the run deploys: the commit and branch, read from the event rather than only GITHUB_SHA. */
export interface Target {
  sha: string
  /** The branch the commit is on, or undefined (a tag, a detached ref). */
  branch?: string
  /** Set when the event itself says not to deploy (a workflow_run that did not succeed). */
  refusal?: string
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
  return { sha: (env.GITHUB_SHA ?? '').trim(), branch: branch || undefined }
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
export function gateReason(target: Target, pattern: string): string | undefined {
  if (target.refusal) return target.refusal
  if (!pattern) return undefined
  if (!target.branch) return `Not deployed: the run is not on a branch (input 'branch' is '${pattern}').`
  if (!branchMatches(pattern, target.branch)) return `Not deployed: the branch '${target.branch}' does not match the 'branch' input '${pattern}'.`
  return undefined
}
