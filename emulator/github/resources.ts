/**
 * GitHub's resources as api.github.com spells them (every field the REST description requires), for
 * the local GitHub API. The answers are checked against the description, so a field left out here
 * shows up as a violation in the tests.
 */

export const WEB = 'https://github.com'

/** GitHub's timestamps: ISO 8601 in UTC, whole seconds. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function nodeId(kind: string, id: number): string {
  return Buffer.from(`0:${kind}${id}`).toString('base64').replace(/=+$/, '')
}

export function simpleUser(api: string, login: string, id: number, type: 'User' | 'Organization' | 'Bot' = 'User') {
  const url = `${api}/users/${login}`
  return {
    login,
    id,
    node_id: nodeId('User', id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${WEB}/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    site_admin: false
  }
}

/** The GitHub Actions app: the creator of check runs and of deployments made with GITHUB_TOKEN. */
export function actionsApp(api: string) {
  return {
    id: 15368,
    slug: 'github-actions',
    node_id: 'MDM6QXBwMTUzNjg=',
    owner: simpleUser(api, 'github', 9919, 'Organization'),
    name: 'GitHub Actions',
    description: 'Automate your workflow from idea to production',
    external_url: 'https://help.github.com/en/actions',
    html_url: `${WEB}/apps/github-actions`,
    created_at: '2018-07-30T09:30:17Z',
    updated_at: '2024-04-10T20:33:16Z',
    permissions: { checks: 'write', contents: 'write', deployments: 'write', metadata: 'read', statuses: 'write' },
    events: ['check_run', 'check_suite', 'deployment', 'deployment_status', 'push', 'status']
  }
}

export function minimalRepository(api: string, fullName: string, id: number) {
  const [owner, name] = fullName.split('/')
  const url = `${api}/repos/${fullName}`
  return {
    id,
    node_id: nodeId('Repository', id),
    name,
    full_name: fullName,
    owner: simpleUser(api, owner, id + 1, 'Organization'),
    private: false,
    html_url: `${WEB}/${fullName}`,
    description: null,
    fork: false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    hooks_url: `${url}/hooks`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`
  }
}

export type CheckRunStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending'
export type CheckConclusion = 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required'
export type CommitState = 'error' | 'failure' | 'pending' | 'success'
export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success'

/** A user id that stays the same for a login across runs. */
export function userId(login: string): number {
  let hash = 7
  for (const char of login.toLowerCase()) hash = (hash * 31 + char.charCodeAt(0)) % 90_000_000
  return 10_000_000 + hash
}

/**
 * The GitHub account behind a commit's email, as GitHub links them: here only the noreply address
 * GitHub gives every account (`<id>+<login>@users.noreply.github.com`); any other email is no account.
 */
export function loginOfEmail(email: string): string | undefined {
  return /^(?:\d+\+)?([a-z\d](?:[a-z\d-]{0,38}))@users\.noreply\.github\.com$/i.exec(email)?.[1]
}

/** The full repository resource (a pull request's head and base carry it). */
export function repository(api: string, fullName: string, id: number) {
  const minimal = minimalRepository(api, fullName, id)
  const created = '2024-01-02T03:04:05Z'
  return {
    ...minimal,
    clone_url: `${WEB}/${fullName}.git`,
    default_branch: 'main',
    forks: 0,
    forks_count: 0,
    git_url: `git://github.com/${fullName}.git`,
    has_downloads: true,
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    homepage: null,
    language: 'JavaScript',
    archived: false,
    disabled: false,
    mirror_url: null,
    open_issues: 0,
    open_issues_count: 0,
    license: null,
    pushed_at: created,
    size: 1,
    ssh_url: `git@github.com:${fullName}.git`,
    stargazers_count: 0,
    svn_url: `${WEB}/${fullName}`,
    watchers: 0,
    watchers_count: 0,
    created_at: created,
    updated_at: created
  }
}
