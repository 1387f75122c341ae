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

export const LIVE_SHA = 'fedcba9876543210fedcba9876543210fedcba98'

/** A success on hello-app that brought three commits and two pull requests since v11 (which ran LIVE_SHA). */
export function deployedChanges(): RunResult {
  const c = (n: number) => `${n}`.repeat(40)
  return {
    status: 'success',
    durationMs: 9000,
    apps: [
      {
        app: 'hello-app',
        status: 'success',
        appUrl: 'https://hello-app.herokuapp.com/',
        buildId: 'b-12',
        releaseId: 'r-12',
        releaseVersion: 12,
        logTail: [],
        smoke: [],
        stages: [{ stage: 'build', ms: 8000, ok: true }],
        previousRelease: { id: 'r-11', version: 11 },
        previousCommit: LIVE_SHA,
        changes: {
          base: LIVE_SHA,
          head: sha,
          status: 'ahead',
          aheadBy: 3,
          behindBy: 0,
          commits: [
            { sha, title: 'Bump the <version>', login: null, name: 'Octo Cat', pullRequest: null },
            { sha: c(2), title: 'Fix the login', login: 'bob', name: 'Bob', pullRequest: 8 },
            { sha: c(1), title: 'Web front end', login: 'alice', name: 'Alice', pullRequest: 7 }
          ],
          pullRequests: [
            { number: 8, title: 'Fix the login', author: 'bob', url: 'https://github.com/octo/app/pull/8' },
            { number: 7, title: 'Web front end', author: 'alice', url: 'https://github.com/octo/app/pull/7' }
          ],
          compareUrl: `https://github.com/octo/app/compare/${LIVE_SHA}...${sha}`
        }
      }
    ]
  }
}
