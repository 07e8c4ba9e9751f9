/**
 * The sandbox as a maintainer uses it: `sandbox up` in a project folder, a bastion swap
 * rehearsed in it through `sandbox run`, and `sandbox down` leaving the machine as it was.
 */
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIRROR, PROJECT_ROOT, SHARED } from "../helpers/config";

const machine = () => ({
  namespaces: execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).split("\n").filter(Boolean).sort(),
  temporary: readdirSync(tmpdir()).filter((f) => /^prow-ops-(sandbox|cloud)/.test(f)).sort(),
  processes: execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").filter((l) => /sandbox serve|sandbox-(management|workload)|prow-ops-cloud-/.test(l)),
});

describe("the sandbox", () => {
  const dir = mkdtempSync(join(tmpdir(), "prow-ops-sbx-project-"));
  const env = { ...process.env, PROW_OPS_PROJECT_DIR: dir, PROW_OPS_CACHE: join(dir, ".cache"), PROW_OPS_MIRROR: MIRROR, PROW_OPS_RUNTIME_DIR: join(dir, ".run") };
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(PROJECT_ROOT, "bin/prow-ops.js"), ...args], { env, cwd: dir });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(() => {
    for (const f of ["Pulumi.yaml", "Pulumi.prow.yaml"]) copyFileSync(join(PROJECT_ROOT, f), join(dir, f));
    symlinkSync(join(PROJECT_ROOT, "dist"), join(dir, "dist"));
    symlinkSync(join(PROJECT_ROOT, "node_modules"), join(dir, "node_modules"));
  });
  afterAll(async () => {
    await run(["sandbox", "down"]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("GIVEN sandbox up THEN the sandbox stack runs on it, a bastion swap is rehearsed end to end, and sandbox down leaves the machine as it was", async () => {
    const before = machine();
    const up = await run(["sandbox", "up", "--crds", join(SHARED, "crds")]);
    expect({ code: up.code, stderr: up.code === 0 ? "" : up.stderr }).toEqual({ code: 0, stderr: "" });
    expect(up.stdout).toMatch(/sandbox up: stack sandbox \(derived from prow\) applied to two local control planes; bastion 198\.51\.100\.30/);
    expect(existsSync(join(dir, "Pulumi.sandbox.yaml"))).toBe(true);
    const status = JSON.parse((await run(["--json", "sandbox", "status"])).stdout);
    expect(status).toMatchObject({ up: true, running: true });
    expect(status.namespaces).toHaveLength(5);

    const preview = await run(["sandbox", "run", "--", "preview", "--expect-no-changes"]);
    expect({ code: preview.code, stderr: preview.code === 0 ? "" : preview.stderr }).toEqual({ code: 0, stderr: "" });
    const swap = await run(["sandbox", "run", "--", "--yes", "bastion", "swap", "--image", "ubuntu-2404-new"]);
    expect({ code: swap.code, stderr: swap.code === 0 ? "" : swap.stderr }).toEqual({ code: 0, stderr: "" });
    const after = JSON.parse((await run(["sandbox", "run", "--", "--json", "status"])).stdout);
    expect(after.bastion.floatingIP).toMatch(/^198\.51\.100\.(3[1-9])$/);

    const down = await run(["sandbox", "down"]);
    expect(down.code).toBe(0);
    expect(machine()).toEqual(before);
    expect(existsSync(join(dir, "Pulumi.sandbox.yaml"))).toBe(false);
    expect(existsSync(join(dir, ".pulumi-state", ".pulumi", "stacks", "prow-ops", "sandbox.json"))).toBe(false);
  }, 1_200_000);

  test("GIVEN no root THEN sandbox up refuses and says why (exit 3), changing nothing", async () => {
    const res = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, join(PROJECT_ROOT, "bin/prow-ops.js"), "sandbox", "up"], { env: { ...env, PROW_OPS_CACHE: "/nonexistent" }, cwd: "/" });
      let stderr = "";
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(res.stderr).toMatch(/sandbox up needs root: the sandbox's hosts are network namespaces \(run it with sudo\)/);
    expect(res.code).toBe(3);
  });
});
