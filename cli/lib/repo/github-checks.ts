/**
 * What onboarding needs on GitHub's side (reference README, "Enabling Metal3 prow for new
 * org/repo"): the repository exists, the bot has admin access, an OWNERS file is present.
 * Asked through GitHub's REST API with the bot's token; what cannot be asked (no token, no
 * network) is reported as not checked, never as passed.
 */

export type CheckState = "ok" | "failed" | "not checked";

export interface GithubCheck {
  name: "repository" | "admin access" | "OWNERS file";
  state: CheckState;
  detail: string;
}

export const githubApiUrl = (env: NodeJS.ProcessEnv = process.env): string => (env.PROW_OPS_GITHUB_API_URL ?? "https://api.github.com").replace(/\/+$/, "");

interface Answer {
  status: number;
  body: { message?: string; permissions?: { admin?: boolean }; full_name?: string; archived?: boolean };
}

async function get(api: string, token: string, path: string): Promise<Answer> {
  const res = await fetch(`${api}${path}`, {
    headers: { accept: "application/vnd.github+json", authorization: `Bearer ${token}`, "x-github-api-version": "2022-11-28", "user-agent": "prow-ops" },
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let body: Answer["body"] = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { message: text.slice(0, 200) };
  }
  return { status: res.status, body };
}

const notChecked = (why: string): GithubCheck[] => (["repository", "admin access", "OWNERS file"] as const).map((name) => ({ name, state: "not checked", detail: why }));

export async function checkRepository(repo: string, token: string | undefined, api = githubApiUrl()): Promise<GithubCheck[]> {
  if (!token) return notChecked("no githubToken in the stack (prow-ops secrets set githubToken)");
  let answer: Answer;
  try {
    answer = await get(api, token, `/repos/${repo}`);
  } catch (err) {
    return notChecked(`GitHub API ${api} not reachable (${(err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message})`);
  }
  if (answer.status === 401) return notChecked(`GitHub refused the bot's token (401 ${answer.body.message ?? ""}): set a valid one with prow-ops secrets set githubToken`);
  if (answer.status === 404) {
    return [
      { name: "repository", state: "failed", detail: `${repo} does not exist, or the bot cannot see it (404): create it, or add the bot to it` },
      ...notChecked("no repository").slice(1),
    ];
  }
  if (answer.status !== 200) return notChecked(`GitHub answered ${answer.status} ${answer.body.message ?? ""} for /repos/${repo}`);
  const checks: GithubCheck[] = [
    { name: "repository", state: answer.body.archived ? "failed" : "ok", detail: answer.body.archived ? `${repo} is archived` : `${answer.body.full_name ?? repo} exists` },
    answer.body.permissions?.admin
      ? { name: "admin access", state: "ok", detail: "the bot is an admin of the repository" }
      : { name: "admin access", state: "failed", detail: `the bot has no admin access to ${repo}: give it the admin role (repository Settings → Collaborators and teams)` },
  ];
  try {
    const owners = await get(api, token, `/repos/${repo}/contents/OWNERS`);
    if (owners.status === 200) checks.push({ name: "OWNERS file", state: "ok", detail: "OWNERS is present" });
    else if (owners.status === 404) checks.push({ name: "OWNERS file", state: "failed", detail: `${repo} has no OWNERS file at its root: add one (approvers and reviewers) before Prow's approve plugin can work` });
    else checks.push({ name: "OWNERS file", state: "not checked", detail: `GitHub answered ${owners.status} ${owners.body.message ?? ""}` });
  } catch (err) {
    checks.push({ name: "OWNERS file", state: "not checked", detail: `GitHub API not reachable (${(err as Error).message})` });
  }
  return checks;
}
