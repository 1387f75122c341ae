import type { CheckRun, CommitStatus, GitHubApi, NewDeployment, NewDeploymentStatus } from '../../src/github/api.js'

export interface FakeDeployment {
  id: number
  request: NewDeployment
  statuses: (NewDeploymentStatus & { afterCancel: boolean })[]
}

/**
 * An in-memory GitHubApi. The commit's checks move through the states a test scripts, one state
 * per read (the last one repeats); deployments and their statuses are recorded.
 */
export class FakeGitHub implements GitHubApi {
  checkStates: { runs?: CheckRun[]; statuses?: CommitStatus[] }[] = [{}]
  reads = 0
  deployments: FakeDeployment[] = []
  /** Thrown by createDeployment / createDeploymentStatus when set. */
  deploymentError?: Error
  statusError?: Error

  async checkRuns(): Promise<CheckRun[]> {
    this.reads++
    return this.current().runs ?? []
  }
  async commitStatuses(): Promise<CommitStatus[]> {
    return this.current().statuses ?? []
  }
  async createDeployment(request: NewDeployment): Promise<number> {
    if (this.deploymentError) throw this.deploymentError
    const id = 100 + this.deployments.length
    this.deployments.push({ id, request, statuses: [] })
    return id
  }
  async createDeploymentStatus(id: number, status: NewDeploymentStatus, options: { afterCancel?: boolean } = {}): Promise<void> {
    if (this.statusError) throw this.statusError
    const deployment = this.deployments.find((d) => d.id === id)
    if (!deployment) throw new Error(`no deployment ${id}`)
    deployment.statuses.push({ ...status, afterCancel: options.afterCancel ?? false })
  }
  private current() {
    return this.checkStates[Math.min(Math.max(0, this.reads - 1), this.checkStates.length - 1)]
  }
}

export function checkRun(name: string, status: string, conclusion: string | null = null, id = 1): CheckRun {
  return { id, name, status, conclusion, html_url: `https://github.com/o/r/runs/${id}`, details_url: null }
}

export function commitStatus(context: string, state: string): CommitStatus {
  return { context, state, target_url: `https://ci.example.com/${context}`, description: null }
}
