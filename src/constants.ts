/** Names of the action's inputs and outputs, as action.yml declares them. */
export const Inputs = {
  ApiKey: 'api-key',
  App: 'app',
  Strategy: 'strategy',
  SourceDir: 'source-dir',
  Version: 'version',
  Timeout: 'timeout',
  Branch: 'branch',
  SmokeChecks: 'smoke-checks',
  SmokeTimeout: 'smoke-timeout',
  RollbackOnFailure: 'rollback-on-failure',
  Maintenance: 'maintenance',
  SlackWebhook: 'slack-webhook',
  WebhookUrl: 'webhook-url',
  WebhookSecret: 'webhook-secret',
  RequiredChecks: 'required-checks',
  ChecksTimeout: 'checks-timeout',
  Environment: 'environment',
  GitHubDeployment: 'github-deployment',
  GitHubToken: 'github-token',
  MaxParallel: 'max-parallel',
  BuildOnce: 'build-once',
  ConfigVars: 'config-vars',
  Buildpacks: 'buildpacks',
  DryRun: 'dry-run',
  BranchNodes: 'branch-nodes',
  BranchNodesIdle: 'branch-nodes-idle',
  PromoteTo: 'promote-to',
  PromoteRelease: 'promote-release'
} as const

export const Outputs = {
  Status: 'status',
  AppUrl: 'app-url',
  ReleaseVersion: 'release-version',
  ReleaseId: 'release-id',
  BuildId: 'build-id',
  DeploymentId: 'deployment-id',
  Results: 'results',
  Duration: 'duration',
  PreviousCommit: 'previous-commit'
} as const

export const DEFAULT_HEROKU_API_URL = 'https://api.heroku.com'
export const DEFAULT_HEROKU_GIT_URL = 'https://git.heroku.com'
export const DEFAULT_GITHUB_API_URL = 'https://api.github.com'
export const USER_AGENT = 'heroku-cd/1'
