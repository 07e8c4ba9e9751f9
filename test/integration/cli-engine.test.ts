/**
 * `prow-ops` as a user runs it, against the two local control planes: secrets set through
 * stdin, preview, up, drift detection, a targeted up, Ctrl-C, a locked stack, refresh,
 * destroy — and the plain `pulumi preview` CI runs, agreeing with `prow-ops preview`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { type CliProject, cliProject } from "./helpers/cli-project";
import { CANARY, startClusters } from "./helpers/testbed";
import { PULUMI_HOME, TOOLS_BIN } from "./helpers/tools";
import type { ControlPlane } from "../../cli/lib/sandbox/control-plane";

const LAYERS = ["capi", "cluster", "cluster-resources", "infra", "prow"];

describe("prow-ops engine commands against local API servers", () => {
  let clusters: { management: ControlPlane; workload: ControlPlane; stop(): Promise<void> };
  let p: CliProject;
  const json = (text: string) => JSON.parse(text) as { changed: Array<{ op: string; name: string; layer: string }>; layers: Record<string, Record<string, number>>; result: string };

  beforeAll(async () => {
    clusters = await startClusters("cli");
    p = cliProject(clusters.management, clusters.workload, LAYERS);
  });
  afterAll(async () => {
    await clusters?.stop();
  });

  test("GIVEN a new stack WHEN each secret is set through stdin THEN the stack file holds only ciphertext", async () => {
    for (const [name, value] of Object.entries(CANARY)) {
      const res = await p.run(["secrets", "set", name], { input: `${value}\n` });
      expect({ name, code: res.code, stderr: res.stderr }).toEqual({ name, code: 0, stderr: expect.any(String) });
      expect(res.stdout + res.stderr).not.toContain(value);
    }
    const file = readFileSync(p.stackFile, "utf8");
    for (const value of Object.values(CANARY)) expect(file).not.toContain(value);
    expect(file).toMatch(/prow-ops:githubToken:\n\s+secure: v1:/);
    expect(file.startsWith("# test-bed stack\n")).toBe(true);
  });

  test("WHEN previewed THEN every layer's creates are summarised per layer, as JSON on stdout", async () => {
    const res = await p.run(["--json", "preview"]);
    expect(res.code).toBe(0);
    const s = json(res.stdout);
    expect(Object.keys(s.layers).sort()).toEqual([...LAYERS, "providers"].sort());
    for (const layer of LAYERS) expect(s.layers[layer].create).toBeGreaterThan(0);
    expect(res.stderr).toContain("preview of stack it");
  });

  test("GIVEN Ctrl-C during the first up THEN the update is cancelled cleanly and the stack is not left locked", async () => {
    const res = await p.run(["--yes", "up"], {
      onStderr: (text, child) => {
        if (/creating .*\[capi\]/.test(text) && !child.killed) child.kill("SIGINT");
      },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/cancelled: the operations in flight were finished and the stack's lock released/);
    const locks = join(p.dir, ".pulumi-state", ".pulumi", "locks");
    const left = existsSync(locks) ? readdirSync(locks, { recursive: true }).filter((f) => String(f).endsWith(".json")) : [];
    expect(left).toEqual([]);
  });

  test("WHEN up is run again THEN it completes, and a second preview expects no changes", async () => {
    const up = await p.run(["--yes", "up"]);
    expect(up.code).toBe(0);
    const again = await p.run(["--json", "preview", "--expect-no-changes"]);
    expect(again.code).toBe(0);
    expect(json(again.stdout).changed).toEqual([]);
  });

  test("THEN no secret is in the state in plain text", () => {
    const state = readdirSync(join(p.dir, ".pulumi-state"), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith(".json"))
      .map((f) => readFileSync(join(p.dir, ".pulumi-state", f), "utf8"))
      .join("\n");
    expect(state.length).toBeGreaterThan(10000);
    for (const value of Object.values(CANARY)) expect(state).not.toContain(value);
  });

  test("GIVEN a config change WHEN previewed with --expect-no-changes THEN exit 4 naming exactly the changed resource", async () => {
    expect((await p.run(["config", "set", "cluster.workers.autoscaler.max", "7"])).code).toBe(0);
    const res = await p.run(["--json", "preview", "--expect-no-changes"]);
    expect(res.code).toBe(4);
    expect(json(res.stdout).changed).toEqual([expect.objectContaining({ op: "update", name: "machinedeployment:default:prow-md-0", layer: "cluster" })]);
    expect(res.stderr).toMatch(/1 resource\(s\) would change where none were expected:\n\s+update\s+kubernetes:cluster.x-k8s.io\/v1beta1:MachineDeployment\s+machinedeployment:default:prow-md-0\s+\[cluster\]/);
  });

  test("WHEN up --target cluster THEN only that layer is updated", async () => {
    const res = await p.run(["--yes", "--json", "up", "--target", "cluster"]);
    expect({ code: res.code, err: res.stderr.slice(-1500) }).toEqual({ code: 0, err: expect.any(String) });
    const s = json(res.stdout);
    expect(s.changed.map((c) => `${c.op} ${c.layer}`)).toEqual(["update cluster"]);
    const max = clusters.management.kubectl(["get", "machinedeployment", "prow-md-0", "-o", "jsonpath={.metadata.annotations.cluster\\.x-k8s\\.io/cluster-api-autoscaler-node-group-max-size}"]);
    expect(max).toBe("7");
  });

  test("GIVEN the cluster-autoscaler changing the workers' replicas (a second field manager) THEN no drift and no conflict: the stack never declares them", async () => {
    const patch = JSON.stringify({ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineDeployment", metadata: { name: "prow-md-0", namespace: "default" }, spec: { replicas: 4 } });
    clusters.management.kubectl(["apply", "--server-side", "--field-manager=cluster-autoscaler", "-f", "-"], patch);
    const preview = await p.run(["preview", "--expect-no-changes"]);
    expect(preview.code).toBe(0);
    const up = await p.run(["--yes", "up"]);
    expect(up.code).toBe(0);
    expect(clusters.management.kubectl(["get", "machinedeployment", "prow-md-0", "-o", "jsonpath={.spec.replicas}"])).toBe("4");
  });

  test("WHEN scaled while the autoscaler owns the replicas THEN refused (exit 3); after `autoscaler disable` the current count is kept and scale works", async () => {
    const refused = await p.run(["--yes", "scale", "prow-md-0", "--replicas", "2"]);
    expect(refused.code).toBe(3);
    const disable = await p.run(["--yes", "autoscaler", "disable", "prow-md-0"]);
    expect({ code: disable.code, err: disable.stderr.slice(-800) }).toEqual({ code: 0, err: expect.any(String) });
    const md = () => JSON.parse(clusters.management.kubectl(["get", "machinedeployment", "prow-md-0", "-o", "json"])) as { metadata: { annotations?: Record<string, string> }; spec: { replicas: number } };
    expect(md().spec.replicas).toBe(4);
    expect(Object.keys(md().metadata.annotations ?? {}).filter((k) => k.includes("autoscaler"))).toEqual([]);
    expect(readFileSync(p.stackFile, "utf8")).toMatch(/replicas: 4/);
    const scaled = await p.run(["--yes", "scale", "prow-md-0", "--replicas", "2"]);
    expect(scaled.code).toBe(0);
    expect(md().spec.replicas).toBe(2);
    const enable = await p.run(["--yes", "autoscaler", "enable", "prow-md-0"]);
    expect(enable.code).toBe(0);
    expect(md().metadata.annotations?.["cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size"]).toBe("7");
    expect((await p.run(["preview", "--expect-no-changes"])).code).toBe(0);
  });

  test("WHEN status is asked THEN it reads both clusters: the MachineDeployments with their autoscaler bounds, the Prow deployments", async () => {
    const res = await p.run(["--json", "status"]);
    expect(res.code).toBe(0);
    const report = JSON.parse(res.stdout) as { cluster: { name: string }; machineDeployments: Array<{ name: string; autoscaler?: { min: number; max: number } }>; prow: { deployments: unknown[] } };
    expect(report.cluster.name).toBe("prow");
    expect(report.machineDeployments.find((m) => m.name === "prow-md-0")?.autoscaler).toEqual({ min: 2, max: 7 });
    expect(report.prow.deployments.length).toBeGreaterThan(5);
  });

  test("WHEN diff of a layer THEN the engine's per-object diff of that layer", async () => {
    expect((await p.run(["config", "set", "cluster.workers.autoscaler.min", "3"])).code).toBe(0);
    const res = await p.run(["diff", "cluster"]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/machinedeployment:default:prow-md-0/);
    expect(res.stdout).toMatch(/cluster-api-autoscaler-node-group-min-size.*"2".*=>.*"3"|"2" => "3"/s);
    expect((await p.run(["config", "set", "cluster.workers.autoscaler.min", "2"])).code).toBe(0);
  });

  test("GIVEN the plain pulumi CLI on the project (what CI runs) WHEN previewed THEN it agrees with prow-ops preview: no changes", async () => {
    const res = spawnSync(join(TOOLS_BIN, "pulumi"), ["preview", "--stack", p.stack, "--non-interactive", "--diff=false", "--expect-no-changes"], {
      cwd: p.dir,
      encoding: "utf8",
      env: { ...process.env, ...p.env, PATH: `${TOOLS_BIN}:${process.env.PATH}`, PULUMI_HOME, PULUMI_BACKEND_URL: `file://${join(p.dir, ".pulumi-state")}`, PULUMI_SKIP_UPDATE_CHECK: "true" },
    });
    expect({ code: res.status, out: res.stdout.slice(-2000), err: res.stderr.slice(-2000) }).toEqual({ code: 0, out: expect.stringMatching(/unchanged/), err: expect.any(String) });
    const ours = await p.run(["--json", "preview", "--expect-no-changes"]);
    expect(ours.code).toBe(0);
  });

  test("GIVEN an invalid config WHEN the plain pulumi CLI previews THEN it prints the CLI's message, without a stack trace", () => {
    const file = readFileSync(p.stackFile, "utf8");
    writeFileSync(p.stackFile, file.replace("podCIDR: 192.168.0.0/16", "podCIDR: 192.168.0.0/33"));
    try {
      const res = spawnSync(join(TOOLS_BIN, "pulumi"), ["preview", "--stack", p.stack, "--non-interactive", "--color=never"], {
        cwd: p.dir,
        encoding: "utf8",
        env: { ...process.env, ...p.env, PATH: `${TOOLS_BIN}:${process.env.PATH}`, PULUMI_HOME, PULUMI_BACKEND_URL: `file://${join(p.dir, ".pulumi-state")}`, PULUMI_SKIP_UPDATE_CHECK: "true" },
      });
      const out = res.stdout + res.stderr;
      expect(res.status).not.toBe(0);
      expect(out).toContain('prow-ops:cluster.podCIDR: "192.168.0.0/33" is not a valid CIDR');
      expect(out).not.toMatch(/unhandled exception|\n\s+at \S+ \(/);
    } finally {
      writeFileSync(p.stackFile, file);
    }
  });

  test("GIVEN the stack locked by another run WHEN up THEN refused with exit 3 naming the holder; unlock releases it", async () => {
    const stackLocks = join(p.dir, ".pulumi-state", ".pulumi", "locks", "organization", "prow-ops", p.stack);
    mkdirSync(stackLocks, { recursive: true });
    const lock = { pid: 4242, username: "alice", hostname: "laptop", timestamp: "2026-11-30T10:00:00Z" };
    writeFileSync(join(stackLocks, "3b0e3c0e-7c5f-4a43-9f3e-0e9b2c1d4a5f.json"), JSON.stringify(lock));
    // Something to apply: an up with nothing to do never reaches the lock.
    expect((await p.run(["config", "set", "cluster.workers.autoscaler.max", "6"])).code).toBe(0);
    const res = await p.run(["--yes", "up"]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/stack it is locked by alice@laptop \(pid 4242\) since 2026-11-30T10:00:00Z.*prow-ops unlock --stack it/);
    const unlock = await p.run(["--yes", "unlock"]);
    expect(unlock.code).toBe(0);
    expect((await p.run(["--yes", "up"])).code).toBe(0);
    expect((await p.run(["preview", "--expect-no-changes"])).code).toBe(0);
  });

  test("WHEN refreshed THEN the state matches the servers", async () => {
    const res = await p.run(["--json", "refresh", "--expect-no-changes"]);
    expect(res.code).toBe(0);
  });

  test("GIVEN no terminal and no --yes WHEN destroy THEN refused with exit 3 and nothing deleted; with --yes every object is gone", async () => {
    const refused = await p.run(["destroy"]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/no terminal to confirm on; run again with --yes/);
    expect(clusters.management.kubectl(["get", "cluster", "prow", "-o", "name"]).trim()).toBe("cluster.cluster.x-k8s.io/prow");
    // No prometheus-adapter runs here: its APIService would block namespace deletion (see stack.test.ts).
    clusters.workload.kubectl(["delete", "apiservice", "v1beta1.metrics.k8s.io"]);
    for (const cp of [clusters.management, clusters.workload]) {
      for (const kind of ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"]) cp.kubectl(["delete", kind, "--all"]);
    }
    const res = await p.run(["--yes", "--json", "destroy"]);
    expect(res.code).toBe(0);
    expect(clusters.management.kubectl(["get", "clusters.cluster.x-k8s.io", "-A", "-o", "name"]).trim()).toBe("");
  });
});
