/**
 * `prow-ops repo enable / disable` as a user runs them, on copies of the real config files and
 * the production stack file: GitHub's REST API answered by a local server, the bot's token
 * from the stack's secrets, and Prow's own `checkconfig --strict` (built by the test bed) run
 * on config/ before and after every change.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import execa from "execa";
import { parse } from "yaml";
import { ACCEPTED_FINDINGS, checkconfig, checkconfigArgs, runCheckconfig } from "../../cli/lib/repo/checkconfig";
import { insertedLines } from "../../cli/lib/repo/yaml-edit";
import { PROJECT_ROOT } from "../helpers/config";
import { type GithubApi, startGithubApi } from "./helpers/github-api";
import { pulumiEnv, tool } from "./helpers/tools";

const TOKEN = "CANARY-githubToken-repo-test-0f3a";
const FILES = ["config/config.yaml", "config/plugins.yaml", "Pulumi.it.yaml"] as const;

interface Project {
  dir: string;
  read(): Record<string, string>;
  run(args: string[], env?: Record<string, string>, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

function project(api: () => string): Project {
  const dir = mkdtempSync(join(tmpdir(), "prow-ops-repo-"));
  for (const f of ["Pulumi.yaml", "config/config.yaml", "config/plugins.yaml", "config/jobs"]) cpSync(join(PROJECT_ROOT, f), join(dir, f), { recursive: true });
  cpSync(join(PROJECT_ROOT, "Pulumi.prow.yaml"), join(dir, "Pulumi.it.yaml"));
  symlinkSync(join(PROJECT_ROOT, "dist"), join(dir, "dist"));
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"));
  // Asynchronous: the GitHub stand-in answers from this process.
  const run: Project["run"] = async (args, env = {}, input = "") => {
    const res = await execa(process.execPath, [join(PROJECT_ROOT, "bin/prow-ops.js"), "--stack", "it", ...args], {
      input,
      cwd: dir,
      reject: false,
      env: { ...pulumiEnv(), PROW_OPS_PROJECT_DIR: dir, PULUMI_CONFIG_PASSPHRASE: "repo-test-passphrase", PROW_OPS_GITHUB_API_URL: api(), ...env },
    });
    return { code: res.exitCode, stdout: res.stdout, stderr: res.stderr };
  };
  const read = () => Object.fromEntries(FILES.map((f) => [f, readFileSync(join(dir, f), "utf8")]));
  return { dir, read, run };
}

/** checkconfig --strict with the presubmit's arguments on a project's config/ folder. */
function strictCheck(dir: string): string {
  const res = spawnSync(tool("checkconfig"), checkconfigArgs(join(dir, "config")), { encoding: "utf8" });
  expect({ code: res.status, log: res.stderr.split("\n").filter((l) => /"level":"(warning|error|fatal)"/.test(l)) }).toEqual({ code: 0, log: [] });
  return res.stderr;
}

describe("repo enable / disable", () => {
  let github: GithubApi;
  let p: Project;
  let original: Record<string, string>;

  beforeAll(async () => {
    github = await startGithubApi(TOKEN, {
      "Nordix/metal3-new-tool": { admin: true, owners: true },
      "metal3-io/new-operator": { admin: true, owners: true },
      "Nordix/no-owners": { admin: true, owners: false },
      "Nordix/not-admin": { admin: false, owners: true },
    });
    p = project(() => github.url);
    const set = await p.run(["secrets", "set", "githubToken"], {}, `${TOKEN}\n`);
    expect({ code: set.code, stderr: set.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    original = p.read();
  });
  afterAll(async () => {
    await github?.close();
  });

  test("GIVEN the project's config/ THEN Prow's checkconfig --strict passes, so no finding needs accepting", async () => {
    expect(strictCheck(p.dir)).toContain("checkconfig passes without any error!");
    expect(ACCEPTED_FINDINGS).toEqual([]);
  });

  test("GIVEN a new Nordix repository ready on GitHub WHEN enabled with rebase THEN only its lines are added, the webhook joins the stack and checkconfig passes", async () => {
    const res = await p.run(["repo", "enable", "Nordix/metal3-new-tool", "--merge-method", "rebase"]);
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: "" });
    const now = p.read();
    expect(insertedLines(original["config/config.yaml"], now["config/config.yaml"])).toEqual(["    Nordix/metal3-new-tool: rebase", "    - Nordix/metal3-new-tool"]);
    expect(insertedLines(original["config/plugins.yaml"], now["config/plugins.yaml"])).toHaveLength(7);
    expect(insertedLines(original["Pulumi.it.yaml"], now["Pulumi.it.yaml"])).toEqual(["      - Nordix/metal3-new-tool"]);
    expect(parse(now["Pulumi.it.yaml"]).config["prow-ops:prow"].repos).toContain("Nordix/metal3-new-tool");
    strictCheck(p.dir);
    expect(res.stdout).toMatch(/github: repository: ok\ngithub: admin access: ok\ngithub: OWNERS file: ok\ncheckconfig: passes \(--strict\)/);
    expect(res.stdout).toContain("`prow-ops --stack it preview` shows the repository webhook webhook-Nordix-metal3-new-tool to create");
    // the token went to GitHub in a header, and nowhere else
    expect(github.requests.map((r) => r.path)).toEqual(["/repos/Nordix/metal3-new-tool", "/repos/Nordix/metal3-new-tool/contents/OWNERS"]);
    expect(github.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(res.stdout + res.stderr + now["Pulumi.it.yaml"]).not.toContain(TOKEN);
  });

  test("GIVEN it is enabled THEN enable again is refused (exit 3) and changes nothing; disable gives back all three files byte for byte", async () => {
    const before = p.read();
    const again = await p.run(["repo", "enable", "Nordix/metal3-new-tool", "--merge-method", "rebase"]);
    expect({ code: again.code, stderr: again.stderr.trim() }).toEqual({ code: 3, stderr: "error: Nordix/metal3-new-tool is already enabled: nothing to change" });
    expect(p.read()).toEqual(before);

    const off = await p.run(["repo", "disable", "Nordix/metal3-new-tool"]);
    expect(off.code).toBe(0);
    expect(p.read()).toEqual(original);
    strictCheck(p.dir);
    const twice = await p.run(["repo", "disable", "Nordix/metal3-new-tool"]);
    expect(twice.code).toBe(3);
  });

  test("GIVEN a metal3-io repository THEN its org-level webhook is enough: the stack file is untouched", async () => {
    const res = await p.run(["--json", "repo", "enable", "metal3-io/new-operator"]);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({ repo: "metal3-io/new-operator", enabled: true, orgWebhook: true, checkconfig: "passes (--strict)" });
    expect(out.changes).toEqual(["config.yaml tide.queries[0].repos: + metal3-io/new-operator", "plugins.yaml plugins: + metal3-io/new-operator (the metal3-io plugins)"]);
    expect(p.read()["Pulumi.it.yaml"]).toBe(original["Pulumi.it.yaml"]);
    strictCheck(p.dir);
    expect((await p.run(["repo", "disable", "metal3-io/new-operator"])).code).toBe(0);
    expect(p.read()).toEqual(original);
  });

  test.each([
    ["Nordix/no-owners", /OWNERS file: Nordix\/no-owners has no OWNERS file at its root/],
    ["Nordix/not-admin", /admin access: the bot has no admin access to Nordix\/not-admin/],
    ["Nordix/not-there", /repository: Nordix\/not-there does not exist, or the bot cannot see it \(404\)/],
  ])("GIVEN %s on GitHub THEN enable is refused (exit 3), says why and changes nothing", async (repo, why) => {
    const res = await p.run(["repo", "enable", repo]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(why);
    expect(res.stderr).toContain("nothing was changed");
    expect(p.read()).toEqual(original);
  });

  test("GIVEN no network to GitHub THEN enable says what it could not check and goes on; --dry-run writes nothing", async () => {
    const offline = { PROW_OPS_GITHUB_API_URL: "http://127.0.0.1:9" };
    const dry = await p.run(["repo", "enable", "Nordix/metal3-new-tool", "--merge-method", "rebase", "--dry-run"], offline);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("would change (dry run, nothing written)");
    expect(dry.stdout).toContain("config/plugins.yaml +   - name: needs-rebase");
    expect(p.read()).toEqual(original);

    const res = await p.run(["repo", "enable", "Nordix/metal3-new-tool", "--merge-method", "rebase"], offline);
    expect(res.code).toBe(0);
    for (const check of ["repository", "admin access", "OWNERS file"]) expect(res.stdout).toMatch(new RegExp(`github: ${check}: not checked \\(GitHub API http://127.0.0.1:9 not reachable`));
    expect((await p.run(["repo", "disable", "Nordix/metal3-new-tool"])).code).toBe(0);
    expect(p.read()).toEqual(original);
  });

  test.each([
    [["repo", "enable", "kubernetes/test-infra"], 2, /kubernetes is not an org this Prow serves/],
    [["repo", "enable", "Nordix"], 2, /"Nordix" is not a GitHub repository \(expected ORG\/REPO/],
    [["repo", "enable", "Nordix/x", "--merge-method", "fastforward"], 2, /--merge-method "fastforward": expected one of merge, rebase, squash/],
    [["repo", "enable", "Nordix/x", "--like", "Nordix/unknown"], 2, /--like Nordix\/unknown: that repository is not enabled/],
    [["repo", "disable", "Nordix/never-enabled"], 3, /Nordix\/never-enabled is already disabled/],
  ])("GIVEN %j THEN exit %i with a clear message, nothing changed", async (args, code, message) => {
    const res = await p.run(args as string[]);
    expect({ code: res.code, message: res.stderr }).toEqual({ code, message: expect.stringMatching(message) });
    expect(p.read()).toEqual(original);
  });

  test("GIVEN an edit checkconfig --strict rejects THEN it is refused before anything is written", async () => {
    const files = { config: original["config/config.yaml"].replace("    - Nordix/sles-ironic-python-agent-builder\n", "    - Nordix/sles-ironic-python-agent-builder\n    - Nordix/bare-repo\n"), plugins: original["config/plugins.yaml"] };
    process.env.PROW_OPS_CHECKCONFIG = tool("checkconfig");
    try {
      await expect(runCheckconfig(join(p.dir, "config"), files)).rejects.toThrow(/checkconfig --strict rejects the result; nothing was changed:\n {2}the following orgs or repos forbid the needs-rebase label for merging but do not enable the needs-rebase plugin: \[repo: Nordix\/bare-repo\]/);
      expect((await checkconfig(join(p.dir, "config"))).findings).toEqual([]);
    } finally {
      delete process.env.PROW_OPS_CHECKCONFIG;
    }
    expect(p.read()).toEqual(original);
  });
});
