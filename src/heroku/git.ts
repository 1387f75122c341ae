import { getExecOutput } from '@actions/exec'

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
