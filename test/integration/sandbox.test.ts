/**
 * The sandbox as a maintainer uses it: `sandbox up` in a project folder, a bastion swap, a
 * Kubernetes upgrade (the node image uploaded to the local cloud first) and a node recovery
 * rehearsed in it through `sandbox run`, and `sandbox down` leaving the machine as it was; then
 * an empty sandbox in which `bootstrap` builds everything, as on the first day.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
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

  test("GIVEN sandbox up THEN the sandbox stack runs on it, a bastion swap, an upgrade and a node recovery are rehearsed end to end, and sandbox down leaves the machine as it was", async () => {
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

    // An upgrade rehearsed as a maintainer would: the node image is missing until it is uploaded to the local cloud.
    expect(after.machines.map((m: { version: string; phase: string }) => [m.version, m.phase])).toEqual(Array(4).fill(["v1.30.6", "Running"]));
    const missing = await run(["sandbox", "run", "--", "--yes", "upgrade-k8s", "--to", "v1.31.4"]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/node image ubuntu-2204-kube-v1.31.4 does not exist/);
    expect((await run(["sandbox", "openstack", "--", "image", "create", "--disk-format", "qcow2", "ubuntu-2204-kube-v1.31.4"])).code).toBe(0);
    expect((await run(["sandbox", "openstack", "--", "image", "list"])).stdout).toMatch(/^ubuntu-2204-kube-v1.31.4$/m);
    const upgrade = await run(["sandbox", "run", "--", "--yes", "upgrade-k8s", "--to", "v1.31.4"]);
    expect({ code: upgrade.code, stderr: upgrade.code === 0 ? "" : upgrade.stderr }).toEqual({ code: 0, stderr: "" });
    const upgraded = JSON.parse((await run(["sandbox", "run", "--", "--json", "status"])).stdout);
    expect(upgraded.machines.map((m: { version: string; phase: string }) => [m.version, m.phase])).toEqual(Array(4).fill(["v1.31.4", "Running"]));
    const worker = upgraded.machines.find((m: { name: string }) => m.name.startsWith("prow-md-0-")).name as string;
    const recover = await run(["sandbox", "run", "--", "--yes", "node", "recover", worker]);
    expect({ code: recover.code, stderr: recover.code === 0 ? "" : recover.stderr }).toEqual({ code: 0, stderr: "" });
    expect(recover.stderr).toMatch(/OpenStack server .*: ACTIVE/);
    const recovered = JSON.parse((await run(["sandbox", "run", "--", "--json", "status"])).stdout);
    expect(recovered.machines.map((m: { name: string }) => m.name)).not.toContain(worker);
    expect(recovered.machines).toHaveLength(4);
    // The templates outside the rollback window go from the cluster (the later layers' components depend on them in the state).
    const cleanup = await run(["sandbox", "run", "--", "--yes", "upgrade-k8s", "cleanup"]);
    expect({ code: cleanup.code, stderr: cleanup.code === 0 ? "" : cleanup.stderr }).toEqual({ code: 0, stderr: "" });
    expect(cleanup.stderr).toMatch(/deleting .*openstackmachinetemplate:default:prow-worker-v1-29-4-new/);
    expect((await run(["sandbox", "openstack", "--", "image", "list"])).stdout.split("\n").filter(Boolean).sort()).toEqual(["Ubuntu-22.04-jammy", "ubuntu-2204-kube-v1.30.6", "ubuntu-2204-kube-v1.31.4"]);

    const down = await run(["sandbox", "down"]);
    expect(down.code).toBe(0);
    expect(machine()).toEqual(before);
    expect(existsSync(join(dir, "Pulumi.sandbox.yaml"))).toBe(false);
    expect(existsSync(join(dir, ".pulumi-state", ".pulumi", "stacks", "prow-ops", "sandbox.json"))).toBe(false);
  }, 1_200_000);

  test("GIVEN sandbox up --empty THEN bootstrap builds the whole installation in it (real clusterctl, the bastion path), ends self-hosted and locked down, and a second run changes nothing", async () => {
    const before = machine();
    const up = await run(["sandbox", "up", "--empty", "--crds", join(SHARED, "crds")]);
    expect({ code: up.code, stderr: up.code === 0 ? "" : up.stderr }).toEqual({ code: 0, stderr: "" });
    const status = JSON.parse((await run(["--json", "sandbox", "status"])).stdout);
    expect(status).toMatchObject({ up: true, empty: true });
    expect(up.stdout).toContain(`sandbox run -- bootstrap --bootstrap-kubeconfig ${status.kubeconfigs.management}`);

    const boot = await run(["sandbox", "run", "--", "--yes", "bootstrap", "--bootstrap-kubeconfig", status.kubeconfigs.management]);
    expect({ code: boot.code, stderr: boot.code === 0 ? "" : boot.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(boot.stderr).toMatch(/✔ clusterctl-init/);
    expect(boot.stderr).toMatch(/✔ move/);
    expect(boot.stderr).not.toMatch(/MaxListenersExceeded|took over/);
    const built = JSON.parse((await run(["sandbox", "run", "--", "--json", "status"])).stdout);
    expect(built.machines.map((m: { version: string; phase: string }) => [m.version, m.phase])).toEqual(Array(4).fill(["v1.30.6", "Running"]));
    const stackFile = readFileSync(join(dir, "Pulumi.sandbox.yaml"), "utf8");
    expect(stackFile).toMatch(/prow-ops:layers:\n\s+- cluster\n\s+- cluster-resources\n\s+- infra\n\s+- prow\n/);
    expect(stackFile).toMatch(/clusters:\n\s+- workload\n\s+- management\n/);
    const preview = await run(["sandbox", "run", "--", "preview", "--expect-no-changes"]);
    expect({ code: preview.code, stderr: preview.code === 0 ? "" : preview.stderr }).toEqual({ code: 0, stderr: "" });

    // Locked down: the operator's /32 is gone from the load balancer; the bastion is the only way in.
    const operatorNs = machine().namespaces.find((n) => n.endsWith("-operator") && !before.namespaces.includes(n)) as string;
    expect(spawnSync("ip", ["netns", "exec", operatorNs, "curl", "-sk", "-m", "3", "https://198.51.100.5:6443/healthz"]).status).not.toBe(0);

    const again = await run(["sandbox", "run", "--", "--yes", "bootstrap", "--bootstrap-kubeconfig", status.kubeconfigs.management]);
    expect({ code: again.code, stderr: again.code === 0 ? "" : again.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(again.stderr.match(/✔ \S+/g)).toEqual(["✔ preflight", "✔ access-path"]);
    expect(again.stderr).not.toMatch(/took over/);

    expect((await run(["sandbox", "down"])).code).toBe(0);
    expect(machine()).toEqual(before);
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
