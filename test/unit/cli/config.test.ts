/** config validate / get / set / unset and secrets list, run as a user runs them (bin/prow-ops.js). */
import { cpSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../helpers/cli";
import { PROJECT_ROOT } from "../../helpers/config";
import { tempProject } from "../../helpers/project";

const cli = (p: { env: Record<string, string> }, args: string[]) => runCli(["--stack", "t", ...args], p.env);

describe("prow-ops config", () => {
  test("GIVEN a value WHEN set THEN only that line of the stack file changes, comments kept, and get reads it back", () => {
    const p = tempProject();
    const before = readFileSync(p.stackFile, "utf8");
    const res = cli(p, ["config", "set", "cluster.workers.autoscaler.max", "7"]);
    expect(res.code).toBe(0);
    expect(res.stderr).toContain("cluster.workers.autoscaler.max: 5 -> 7");
    const after = readFileSync(p.stackFile, "utf8");
    expect(after).toBe(before.replace("        max: 5\n", "        max: 7\n"));
    expect(cli(p, ["config", "get", "cluster.workers.autoscaler.max"]).stdout).toBe("7\n");
    expect(JSON.parse(cli(p, ["--json", "config", "get", "cluster.allowedCIDRs"]).stdout)).toEqual({ key: "cluster.allowedCIDRs", value: ["10.6.0.0/24"] });
  });

  test("GIVEN a list value WHEN set THEN it is stored as a list", () => {
    const p = tempProject();
    expect(cli(p, ["config", "set", "cluster.allowedCIDRs", "[10.6.0.0/24, 203.0.113.7/32]"]).code).toBe(0);
    expect(JSON.parse(cli(p, ["--json", "config", "get", "cluster.allowedCIDRs"]).stdout).value).toEqual(["10.6.0.0/24", "203.0.113.7/32"]);
  });

  test.each([
    [["config", "set", "cluster.workers.autoscaler.max", "two"], /prow-ops:cluster\.workers\.autoscaler\.max: "two" is not a number/],
    [["config", "set", "cluster.workers.autoscaler.min", "-1"], /prow-ops:cluster\.workers\.autoscaler\.min: -1 is below the minimum/],
    [["config", "set", "cluster.allowedCIDRs[0]", "10.6.0.0/33"], /"10\.6\.0\.0\/33" is not a valid CIDR/],
    [["config", "set", "cluster.bastion.enabled", "maybe"], /cluster\.bastion\.enabled: "maybe" is not true or false/],
    [["config", "set", "cluster.nosuchkey", "1"], /unknown key\(s\) "nosuchkey"/],
    [["config", "set", "githubToken", "ghp_x"], /githubToken is a secret: set it with `prow-ops secrets set githubToken`/],
    [["config", "set", "cluster..name", "x"], /"cluster\.\.name" is not a config key/],
    [["config", "get", "cluster.nothing"], /cluster\.nothing is not set/],
    [["config", "unset", "cluster.name"], /prow-ops:cluster\.name: is required/],
    [["config", "set", "cluster.name"], /missing required argument 'value'/],
  ])("GIVEN %j THEN exit 2, the bad value named, the file unchanged", (args, message) => {
    const p = tempProject();
    const before = readFileSync(p.stackFile, "utf8");
    const res = cli(p, args as string[]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(p.stackFile, "utf8")).toBe(before);
  });

  test("GIVEN a stack that does not exist THEN exit 2 naming the file", () => {
    const p = tempProject();
    const res = runCli(["--stack", "nosuch", "config", "get", "cluster.name"], p.env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/Pulumi\.nosuch\.yaml does not exist/);
  });
});

describe("prow-ops config validate", () => {
  test("GIVEN the production config THEN valid, with the generated ConfigMaps' sizes", () => {
    const p = tempProject();
    const res = cli(p, ["--json", "config", "validate"]);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.valid).toBe(true);
    expect(out.warnings).toEqual([]);
    expect(out.objects[0]).toMatchObject({ kind: "ConfigMap", name: "prow/job-config" });
  });

  /** The project's Prow config with every job file repeated `times` times in all. */
  const withJobs = (times: number) => {
    const p = tempProject();
    const config = join(p.dir, "config");
    cpSync(join(PROJECT_ROOT, "config"), config, { recursive: true, filter: (src) => !src.endsWith(".ts") });
    const jobs = join(config, "jobs");
    const originals = readdirSync(jobs, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    for (let i = 1; i < times; i++) for (const f of originals) cpSync(join(f.parentPath, f.name), join(f.parentPath, `copy${i}-${f.name}`));
    return p;
  };

  test("GIVEN eight times today's job files THEN a warning that job-config nears the 1 MiB object limit", () => {
    const res = cli(withJobs(8), ["--json", "config", "validate"]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/warning: ConfigMap prow\/job-config is 0\.\d\d MiB, [89]\d% of Kubernetes' 1 MiB object limit/);
    expect(JSON.parse(res.stdout).warnings).toHaveLength(1);
  });

  test("GIVEN ten times today's job files THEN refused (exit 2): the API server would refuse the ConfigMap", () => {
    const res = cli(withJobs(10), ["config", "validate"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/ConfigMap prow\/job-config is 1\.\d\d MiB, 10\d% of Kubernetes' 1 MiB object limit[\s\S]*an up would fail/);
  });

  test.each([
    [(t: string) => t.replace("kubernetesVersion: v1.30.6", "kubernetesVersion: 1.30"), /cluster\.kubernetesVersion: 1\.3 is not a string|cluster\.kubernetesVersion: "1\.30"/],
    [(t: string) => t.replace("    replicas: 2\n", '    replicas: "two"\n'), /prow-ops:ingress\.replicas: "two" is not a number/],
    [(t: string) => t.replace("  prow-ops:versions:", "  prow-ops:versions: 3\n  prow-ops:unused:"), /prow-ops:versions: 3 is not a mapping of keys/],
    [(t: string) => `${t}  prow-ops:githubToken: ghp_plain\n`, /holds secret\(s\) in plain text: prow-ops:githubToken/],
  ])("GIVEN a broken stack file (%#) THEN exit 2 naming the key and value", (edit, message) => {
    const p = tempProject("t", edit);
    const res = cli(p, ["config", "validate"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });
});

describe("prow-ops secrets list", () => {
  test("GIVEN no secret set THEN every name is listed with what happens when unset, and no value", () => {
    const p = tempProject();
    const res = cli(p, ["--json", "secrets", "list"]);
    expect(res.code).toBe(0);
    const { secrets } = JSON.parse(res.stdout) as { secrets: Array<{ name: string; set: boolean; whenUnset: string }> };
    expect(secrets.find((s) => s.name === "githubToken")).toEqual({ name: "githubToken", set: false, whenUnset: "required" });
    expect(secrets.find((s) => s.name === "hmacToken")).toEqual({ name: "hmacToken", set: false, whenUnset: "created by the stack" });
  });

  test("GIVEN an encrypted value in the stack file THEN it shows as set, and the ciphertext is never printed", () => {
    const p = tempProject("t", (t) => `${t}  prow-ops:jenkinsToken:\n    secure: v1:AAAAciphertextAAAA\n`);
    const res = cli(p, ["secrets", "list"]);
    expect(res.stdout).toMatch(/jenkinsToken\s+set/);
    expect(res.stdout + res.stderr).not.toContain("ciphertext");
  });

  test.each([
    [["secrets", "set", "notASecret"], /"notASecret" is not a secret of this stack/],
    [["secrets", "generate", "password"], /cannot generate "password" \(expected one of hmac\)/],
    [["secrets", "set"], /missing required argument 'name'/],
    [["secrets", "set", "githubToken", "ghp_on_the_command_line"], /too many arguments/],
  ])("GIVEN %j THEN exit 2 and nothing stored", (args, message) => {
    const p = tempProject();
    const before = readFileSync(p.stackFile, "utf8");
    const res = cli(p, args as string[]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(readFileSync(p.stackFile, "utf8")).toBe(before);
  });
});
