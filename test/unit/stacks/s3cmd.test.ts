/**
 * The prow-logs retention command runs the way the command provider runs it (`/bin/sh -c
 * <script>` with the declared environment and stdin), against a fake s3cmd that records what
 * it was given: its argv, its environment, its stdin and the config file it was pointed at.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DeclaredResource } from "../../../stacks/core/declared";
import type { SecretText } from "../../../stacks/core/secret-text";
import { lifecycleXml, openstackResources } from "../../../stacks/openstack/resources";
import { prodConfig } from "../../helpers/config";

const KEYS = { s3AccessKey: "CANARY-s3cmd-access-41d0", s3SecretKey: "CANARY-s3cmd-secret-9e77" };

const FAKE_S3CMD = `#!/bin/sh
rec=$FAKE_S3CMD_RECORD
printf '%s\\n' "$@" > "$rec/argv"
env > "$rec/env"
cat > "$rec/stdin"
for a in "$@"; do
  case "$a" in --config=*) f=\${a#--config=}; echo "$f" > "$rec/config-path"; cp "$f" "$rec/config"; stat -c %a "$f" > "$rec/config-mode";; esac
done
`;

/** Runs one of the command's scripts as the provider would; returns the fake's records. */
function runScript(script: string, environment: Record<string, string>, stdin: string) {
  const dir = mkdtempSync(join(tmpdir(), "prow-ops-s3cmd-"));
  const bin = join(dir, "bin");
  const rec = join(dir, "rec");
  execFileSync("mkdir", ["-p", bin, rec]);
  writeFileSync(join(bin, "s3cmd"), FAKE_S3CMD);
  chmodSync(join(bin, "s3cmd"), 0o755);
  const ps = execFileSync("/bin/sh", ["-c", script], {
    env: { PATH: `${bin}:/usr/bin:/bin`, FAKE_S3CMD_RECORD: rec, ...environment },
    input: stdin,
  });
  const read = (f: string) => readFileSync(join(rec, f), "utf8");
  return { argv: read("argv"), env: read("env"), stdin: read("stdin"), config: read("config"), mode: read("config-mode").trim(), configPath: read("config-path").trim(), output: ps.toString() };
}

describe("prow-logs retention through s3cmd", () => {
  const c = prodConfig();
  const command = openstackResources(c).find((d) => d.name === "prow-logs-retention") as DeclaredResource;
  const inputs = command.inputs as { create: string; update: string; delete: string; stdin: string; environment: Record<string, SecretText> };
  const environment = Object.fromEntries(Object.entries(inputs.environment).map(([k, v]) => [k, v.resolve((n) => KEYS[n as keyof typeof KEYS])]));

  test("GIVEN the declared environment WHEN the create script runs THEN s3cmd sets the lifecycle with its keys in a 0600 file, never on its command line or in its environment", () => {
    const r = runScript(inputs.create, environment, inputs.stdin);
    expect(r.argv.split("\n").filter(Boolean)).toEqual([`--config=${r.configPath}`, "setlifecycle", "/dev/stdin", "s3://prow-logs"]);
    for (const key of Object.values(KEYS)) {
      expect(r.argv).not.toContain(key);
      expect(r.env).not.toContain(key);
      expect(inputs.create).not.toContain(key);
    }
    expect(r.mode).toBe("600");
    expect(r.config).toContain(`access_key = ${KEYS.s3AccessKey}\n`);
    expect(r.config).toContain(`secret_key = ${KEYS.s3SecretKey}\n`);
    expect(r.config).toContain("host_base = xerces.ericsson.net:7480\n");
    expect(r.stdin).toBe(lifecycleXml(90));
  });

  test("THEN the config file is gone when the command ends", () => {
    const r = runScript(inputs.create, environment, inputs.stdin);
    expect(existsSync(r.configPath)).toBe(false);
  });

  test("WHEN the delete script runs THEN it removes the lifecycle the same way", () => {
    const r = runScript(inputs.delete, environment, "");
    expect(r.argv.split("\n").filter(Boolean)).toEqual([`--config=${r.configPath}`, "dellifecycle", "s3://prow-logs"]);
    expect(r.mode).toBe("600");
    expect(existsSync(r.configPath)).toBe(false);
    for (const key of Object.values(KEYS)) expect(r.argv + r.env).not.toContain(key);
  });

  test("GIVEN s3cmd failing THEN the script fails and still removes the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "prow-ops-s3cmd-fail-"));
    writeFileSync(join(dir, "s3cmd"), `#!/bin/sh\nfor a in "$@"; do case "$a" in --config=*) echo "\${a#--config=}" > "${dir}/path";; esac; done\nexit 3\n`);
    chmodSync(join(dir, "s3cmd"), 0o755);
    expect(() => execFileSync("/bin/sh", ["-c", inputs.create], { env: { PATH: `${dir}:/usr/bin:/bin`, ...environment }, input: inputs.stdin, stdio: "pipe" })).toThrow();
    const path = readFileSync(join(dir, "path"), "utf8").trim();
    expect(existsSync(path)).toBe(false);
  });
});
