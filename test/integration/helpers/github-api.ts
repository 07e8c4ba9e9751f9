/**
 * A local stand-in for GitHub's REST API: the repository and contents endpoints answered with
 * the documentation's example bodies (fixtures/github), per repository: absent (404), with or
 * without admin permission for the token's user, with or without an OWNERS file.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

const fixture = (name: string) => JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "github", `${name}.json`), "utf8"));

export interface FakeRepo {
  admin: boolean;
  owners: boolean;
  archived?: boolean;
}

export interface GithubApi {
  url: string;
  requests: Array<{ path: string; headers: IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/** `token`: the token(s) GitHub accepts; `repos`: what /repos/{org}/{repo} finds. */
export async function startGithubApi(token: string | string[], repos: Record<string, FakeRepo>): Promise<GithubApi> {
  const tokens = new Set((Array.isArray(token) ? token : [token]).map((t) => `Bearer ${t}`));
  const requests: GithubApi["requests"] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? "";
    requests.push({ path, headers: req.headers });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-github-api-version-selected": "2022-11-28" });
      res.end(JSON.stringify(body));
    };
    if (!tokens.has(String(req.headers.authorization))) return send(401, fixture("bad-credentials"));
    if (path === "/user") return send(200, fixture("authenticated-user"));
    const m = /^\/repos\/([^/]+)\/([^/]+)(\/contents\/(.+))?$/.exec(path);
    const repo = m ? repos[`${m[1]}/${m[2]}`] : undefined;
    if (!m || !repo) return send(404, fixture("not-found"));
    if (m[4]) {
      if (m[4] !== "OWNERS" || !repo.owners) return send(404, { ...fixture("not-found"), documentation_url: "https://docs.github.com/rest/repos/contents#get-repository-content" });
      return send(200, { ...fixture("content-file"), name: "OWNERS", path: "OWNERS" });
    }
    const body = fixture("repository");
    return send(200, {
      ...body,
      name: m[2],
      full_name: `${m[1]}/${m[2]}`,
      owner: { ...body.owner, login: m[1], type: "Organization" },
      archived: repo.archived ?? false,
      permissions: { admin: repo.admin, maintain: repo.admin, push: repo.admin, triage: true, pull: true },
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
