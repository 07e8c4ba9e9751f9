/**
 * The tool wrapper against small fake executables that record their argv, environment and
 * stdin: secrets only ever by stdin, environment or a 0600 file; failures as ToolError with
 * secrets masked; preflight naming what to install.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exitCodeOf } from "../../../cli/lib/exit-codes";
import { preflight } from "../../../cli/lib/tools/catalog";
import { runTool, ToolError, withSecretFile } from "../../../cli/lib/tools/run";

const CANARY = "CANARY-tool-secret-77c1d";

/** A fake `kubectl` on PATH recording what it was given into $REC; it fails when asked to. */
function fakeTools(): { bin: string; rec: string } {
  const dir = mkdtempSync(join(tmpdir(), "prow-ops-fake-"));
  const rec = join(dir, "rec");
  const script = `#!/bin/sh
printf '%s\\n' "$@" > "${rec}.argv"
env > "${rec}.env"
cat > "${rec}.stdin"
for a in "$@"; do case "$a" in --kubeconfig=*) f=\${a#--kubeconfig=}; stat -c %a "$f" > "${rec}.mode"; cp "$f" "${rec}.file";; esac; done
if [ "$1" = "version" ]; then echo "Client Version: v1.22.0"; fi
if [ "$1" = "fail" ]; then echo "connection refused while using token $FAKE_TOKEN" >&2; exit 7; fi
exit 0
`;
  writeFileSync(join(dir, "kubectl"), script);
  chmodSync(join(dir, "kubectl"), 0o755);
  return { bin: dir, rec };
}

describe("tools through execa", () => {
  const saved = process.env.PATH;
  let fake: ReturnType<typeof fakeTools>;
  beforeEach(() => {
    fake = fakeTools();
    process.env.PATH = `${fake.bin}:${saved}`;
  });
  afterAll(() => {
    process.env.PATH = saved;
  });

  test("GIVEN a secret by stdin and by environment THEN neither is in the tool's argv", async () => {
    await runTool("kubectl", { args: ["apply", "-f", "-"], input: `token: ${CANARY}\n`, env: { FAKE_TOKEN: CANARY }, secretEnv: ["FAKE_TOKEN"] });
    expect(readFileSync(`${fake.rec}.argv`, "utf8")).toBe("apply\n-f\n-\n");
    expect(readFileSync(`${fake.rec}.stdin`, "utf8")).toBe(`token: ${CANARY}\n`);
    expect(readFileSync(`${fake.rec}.env`, "utf8")).toContain(`FAKE_TOKEN=${CANARY}`);
  });

  test("GIVEN a secret file THEN the tool reads a 0600 file that is gone afterwards, and only its path is in argv", async () => {
    let path = "";
    await withSecretFile("kubeconfig", `token: ${CANARY}`, async (p) => {
      path = p;
      await runTool("kubectl", { args: [`--kubeconfig=${p}`, "get", "nodes"] });
    });
    expect(readFileSync(`${fake.rec}.mode`, "utf8").trim()).toBe("600");
    expect(readFileSync(`${fake.rec}.file`, "utf8")).toBe(`token: ${CANARY}`);
    expect(readFileSync(`${fake.rec}.argv`, "utf8")).not.toContain(CANARY);
    expect(existsSync(path)).toBe(false);
  });

  test("GIVEN the tool failing THEN a ToolError with the command, exit code and stderr, the secret masked", async () => {
    const err = await runTool("kubectl", { args: ["fail", "now"], env: { FAKE_TOKEN: CANARY }, secretEnv: ["FAKE_TOKEN"] }).catch((e) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect(err.message).toBe("`kubectl fail now` failed (exit 7):\n  connection refused while using token ***");
    expect(exitCodeOf(err)).toBe(1);
  });

  test("GIVEN a tool older than usable and one missing THEN preflight lists both with how to install them (exit 2)", async () => {
    const err = await preflight(["kubectl", "packer"]).catch((e) => e);
    expect(err.message).toMatch(/kubectl: version 1\.22\.0 is older than 1\.29\.0/);
    expect(err.message).toMatch(/packer: not found \(install: https:\/\/developer\.hashicorp\.com\/packer\/install/);
    expect(exitCodeOf(err)).toBe(2);
  });
});
