import type { RunResult } from '../../src/result.js'

/** The workflow run and commit the report tests describe. */
export const github = { repository: 'octo/app', serverUrl: 'https://github.com', runId: '99', actor: 'octocat', ref: 'refs/heads/main' }
export const sha = '0123456789abcdef0123456789abcdef01234567'

/** A run whose build failed on hello-app, with the given build output tail. */
export function failedBuild(logTail: string[], durationMs: number): RunResult {
  return {
    status: 'failure',
    durationMs,
    apps: [
      {
        app: 'hello-app',
        status: 'failure',
        appUrl: 'https://hello-app.herokuapp.com/',
        buildId: 'b-2',
        reason: 'Build b-2 failed on hello-app: Build failed: npm run build exited with code 3',
        logTail,
        logTailOf: 'build',
        smoke: [],
        stages: [{ stage: 'build', ms: 4000, ok: false }]
      }
    ]
  }
}
