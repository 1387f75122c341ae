/**
 * What every cancel must leave, wherever it lands (issue 12's "cancel at every stage"): the step out
 * within 10 s of the signal (the runner kills it then) with status `cancelled`; no GitHub deployment
 * of the run left `in_progress` or marked `failure`, nor without any status unless the report says
 * plainly that one may have been made with no final state; maintenance mode off; no temporary file of the
 * run left; and nothing of the run on Heroku that could still release (no pending build or release),
 * unless the report says plainly that a release may still go live.
 */
import * as fs from 'node:fs'
import type { ActionRun, RunningAction } from '../../scripts/lib/run-action.js'
import { APP, type World } from './world.js'

export interface CancelMarks {
  /** When the signal was sent (Date.now()). */
  sentAt: number
  /** world.github.deployments.length before the run started. */
  deployments: number
  /** The apps the run deployed (default: the world's app). */
  apps?: readonly string[]
}

/** Marks to take just before a cancelled run starts; `sentAt` is set when the signal goes. */
export function cancelMarks(world: World, apps?: readonly string[]): CancelMarks {
  return { sentAt: Number.NaN, deployments: world.github.deployments.length, apps }
}

export function expectCleanCancel(world: World, run: ActionRun, marks: CancelMarks): void {
  expect(Date.now() - marks.sentAt).toBeLessThan(10_000)
  expect(run.exitCode).toBe(1)
  expect(run.outputs.status).toBe('cancelled')
  const states = world.github.deployments.slice(marks.deployments).map((deployment) => deployment.statuses.at(-1)?.state)
  expect(states.filter((state) => state === 'in_progress' || state === 'failure')).toEqual([])
  // A create whose answer the cancel cut off: found and closed, or said (it could not be found in time).
  if (!run.summary.includes('one may have been made')) expect(states.filter((state) => state === undefined)).toEqual([])
  expect(fs.readdirSync(run.runnerTemp).filter((name) => name.startsWith('heroku-cd-'))).toEqual([])
  const mayGoLive = run.summary.includes('may still go live')
  for (const name of marks.apps ?? [APP]) {
    const app = world.emulator.app(name)
    expect({ app: name, maintenance: app.maintenance }).toEqual({ app: name, maintenance: false })
    if (mayGoLive) continue
    expect(app.builds.filter((build) => build.status === 'pending').map((build) => `${name}: build ${build.id}`)).toEqual([])
    expect(app.releases.filter((release) => release.status === 'pending').map((release) => `${name}: v${release.version}`)).toEqual([])
  }
}

export interface CancelRun {
  inputs?: Record<string, string>
  env?: Record<string, string>
  /** The apps the run deploys (default: the world's app). */
  apps?: readonly string[]
  /** Resolves once the run is where the signal must land. */
  when(running: RunningAction): Promise<void>
  signal?: NodeJS.Signals
}

/** Starts a run, signals it once `when` says so (SIGINT by default), and checks that it ended as every cancel must. */
export async function cancelRun(world: World, { inputs, env, apps, when, signal = 'SIGINT' }: CancelRun): Promise<ActionRun> {
  const marks = cancelMarks(world, apps)
  const running = world.start(inputs, env)
  await when(running)
  marks.sentAt = Date.now()
  running.child.kill(signal)
  const run = await running.done
  expectCleanCancel(world, run, marks)
  return run
}
