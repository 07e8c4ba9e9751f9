import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { LAYERS } from "../../../config/schema";
import { REDACTED } from "../../../stacks/core/secret-text";
import { runCli } from "../../helpers/cli";
import { MIRROR, PROD_STACK_FILE } from "../../helpers/config";

const tmp = () => mkdtempSync(join(tmpdir(), "prow-ops-render-"));
const env = () => ({ PROW_OPS_MIRROR: MIRROR, PROW_OPS_CACHE: tmp() });

describe("prow-ops render", () => {
  let out: string;
  let result: ReturnType<typeof runCli>;
  beforeAll(() => {
    out = tmp();
    result = runCli(["render", "--out", out], env());
  });

  test("GIVEN the production stack WHEN rendered offline THEN one file per layer is written", () => {
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([...LAYERS].map((l) => `${l}.yaml`).sort());
  });

  test("THEN Kubernetes objects appear as manifests and other resources as {type, name, inputs}", () => {
    const prow = loadAll(readFileSync(join(out, "prow.yaml"), "utf8")) as Array<Record<string, unknown>>;
    expect(prow.every((d) => typeof d.apiVersion === "string" && typeof d.kind === "string")).toBe(true);
    const openstack = loadAll(readFileSync(join(out, "openstack.yaml"), "utf8")) as Array<Record<string, unknown>>;
    expect(openstack.map((d) => Object.keys(d).sort())).toEqual(openstack.map(() => ["inputs", "name", "type"]));
    expect(openstack.map((d) => d.type)).toContain("openstack:identity/applicationCredential:ApplicationCredential");
  });

  test("THEN every secret is shown only as the redaction marker", () => {
    const prow = loadAll(readFileSync(join(out, "prow.yaml"), "utf8")) as Array<{ kind: string; data?: Record<string, string> }>;
    const secrets = prow.filter((d) => d.kind === "Secret");
    expect(secrets).toHaveLength(7);
    for (const s of secrets) for (const v of Object.values(s.data ?? {})) expect(v).toBe(REDACTED);
    const github = readFileSync(join(out, "github.yaml"), "utf8");
    expect(github).toContain(`secret: ${REDACTED}`);
  });

  test("GIVEN a broken config value WHEN rendering THEN it is refused naming the key, exit is non-zero and nothing is written", () => {
    const bad = join(tmp(), "Pulumi.bad.yaml");
    writeFileSync(bad, readFileSync(PROD_STACK_FILE, "utf8").replace("      - 10.6.0.0/24\n    externalNetworkId", '      - 10.6.0.0/33\n    externalNetworkId'));
    const target = join(tmp(), "out");
    const res = runCli(["render", "--out", target, "--config", bad], env());
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('prow-ops:cluster.allowedCIDRs[0]: "10.6.0.0/33" is not a valid CIDR');
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(target)).toBe(false);
  });

  test("GIVEN a secret written in plain text into the stack file WHEN rendering THEN it is refused", () => {
    const bad = join(tmp(), "Pulumi.bad.yaml");
    writeFileSync(bad, `${readFileSync(PROD_STACK_FILE, "utf8")}  prow-ops:githubToken: ghp_plaintext\n`);
    const res = runCli(["render", "--out", tmp(), "--config", bad], env());
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/holds secret\(s\) in plain text: prow-ops:githubToken/);
    expect(res.stderr).not.toContain("ghp_plaintext");
  });

  test("GIVEN an empty mirror WHEN rendering THEN the missing manifest is named and nothing is written", () => {
    const target = join(tmp(), "out");
    const res = runCli(["render", "--out", target, "--mirror", tmp()], { PROW_OPS_CACHE: tmp() });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/has no file with sha256/);
    expect(existsSync(target)).toBe(false);
  });
});
