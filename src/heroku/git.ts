import { getExecOutput } from '@actions/exec'
import { DeployError } from '../errors.js'

/** Runs a short git command quietly and returns its stdout; throws with git's message on failure. */
export async function runGit(args: string[], cwd: string, env?: Record<string, string>): Promise<string> {
  const { exitCode, stdout, stderr } = await getExecOutput('git', args, {
    cwd,
    silent: true,
    ignoreReturnCode: true,
    ...(env ? { env: { ...(process.env as Record<string, string>), ...env } } : {})
  })
  if (exitCode !== 0) throw new Error(`git ${args[0]} failed (exit ${exitCode}): ${stderr.trim()}`)
  return stdout
}

/** The top folder of the repository holding `dir`; a DeployError of the package stage when there is none. */
export async function repositoryRoot(dir: string): Promise<string> {
  const root = (await runGit(['rev-parse', '--show-toplevel'], dir).catch(() => '')).trim()
  if (!root) throw new DeployError('package', `${dir} is not inside a git repository: check out the repository (actions/checkout) before this step.`)
  return root
}

/** Fails the package stage when the commit is not in the repository (e.g. not checked out). */
export async function requireCommit(root: string, sha: string): Promise<void> {
  const known = await runGit(['cat-file', '-e', `${sha}^{commit}`], root).then(() => true, () => false)
  if (!known) throw new DeployError('package', `The commit ${sha} is not in the repository at ${root}: check it out (actions/checkout) before this step.`)
}

/** The message when `source-dir` has nothing committed at the commit. */
export function emptyFolder(folder: string, sha: string): DeployError {
  return new DeployError('package', `The folder '${folder}' has no committed files at ${sha.slice(0, 7)}: commit it, or fix the source-dir input.`)
}
