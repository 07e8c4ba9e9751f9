/**
 * The runbook engine against two real API servers: a sample runbook whose steps write objects
 * into both clusters (each step's action fails once, after a partial write, in turn), the
 * management cluster's Lease as the team-wide lock, and the watch-based wait.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { Context } from "../../cli/lib/context";
import { exitCodeOf } from "../../cli/lib/exit-codes";
import { createReporter } from "../../cli/lib/reporter";
import { leaseName } from "../../cli/lib/runbook/cluster-lease";
import { plan, runRunbook } from "../../cli/lib/runbook/engine";
import type { RunContext, Runbook, Step } from "../../cli/lib/runbook/types";
import { FileStore } from "../../cli/lib/team/store";
import { connect, type Kube } from "../../stacks/core/kube-client";
import type { ControlPlane } from "../../cli/lib/sandbox/control-plane";
import { startClusters } from "./helpers/testbed";

const NS = "rb-sample";
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `prow-ops-rbi-${p}-`));

function testContext(): Context {
  const sink = new PassThrough();
  sink.resume();
  const options = { stack: "rb", json: true, yes: true, verbose: false, color: false };
  return { options, reporter: createReporter(options, sink, sink), projectDir: tmp("proj"), stackFile: "/dev/null" };
}

interface Clusters {
  management: Kube;
  workload: Kube;
}

const cmPath = (name?: string) => `/api/v1/namespaces/${NS}/configmaps${name ? `/${name}` : ""}`;

/**
 * Steps: a marker in both clusters, a ConfigMap in the management cluster from the
 * options, one in the workload cluster from what the previous step produced, and a step that
 * waits (watch) for an object another actor creates. `failAt` makes that step write a wrong
 * value and throw once; `gate` holds a step until released (to hold the lock meanwhile).
 */
function sampleRunbook(c: Clusters, o: { failAt?: string; gate?: { step: string; reached: () => void; release: Promise<void> } } = {}): Runbook<RunContext> {
  let failed = false;
  const configMap = async (kube: Kube, name: string, data: Record<string, string>) => {
    await kube.apply(cmPath(name), { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: NS }, data }, "rb-sample");
  };
  const holds = async (kube: Kube, name: string, data: Record<string, string>) => JSON.stringify((await kube.get(cmPath(name)))?.data) === JSON.stringify(data);
  const step = (id: string, check: (ctx: RunContext) => Promise<boolean>, act: (ctx: RunContext) => Promise<Record<string, unknown> | undefined>, partial: () => Promise<void>): Step => ({
    id,
    title: `sample step ${id}`,
    check,
    run: async (ctx) => {
      if (o.gate?.step === id) {
        o.gate.reached();
        await o.gate.release;
      }
      if (o.failAt === id && !failed) {
        failed = true;
        await partial();
        throw new Error(`step ${id} crashed half-way`);
      }
      return act(ctx);
    },
    preview: async () => `would run ${id}`,
  });
  const value = (ctx: RunContext) => ({ version: String(ctx.options.version) });
  return {
    name: "sample",
    command: "sample",
    title: "sample",
    tools: [],
    confirmationWord: async () => "prow",
    context: async (base) => base,
    managementCluster: async () => c.management,
    steps: [
      step(
        "markers",
        async () => Boolean((await c.management.get(cmPath("marker"))) && (await c.workload.get(cmPath("marker")))),
        async () => {
          for (const kube of [c.management, c.workload]) await configMap(kube, "marker", {});
          return undefined;
        },
        () => configMap(c.management, "marker", {}),
      ),
      step(
        "settings",
        (ctx) => holds(c.management, "settings", value(ctx)),
        async (ctx) => {
          await configMap(c.management, "settings", value(ctx));
          return { settings: value(ctx).version };
        },
        () => configMap(c.management, "settings", { version: "half-written" }),
      ),
      step(
        "mirror",
        (ctx) => holds(c.workload, "mirror", { from: String(ctx.outputs.settings) }),
        async (ctx) => {
          await configMap(c.workload, "mirror", { from: String(ctx.outputs.settings) });
          return undefined;
        },
        () => configMap(c.workload, "mirror", { from: "half-written" }),
      ),
      step(
        "ready",
        async () => Boolean(await c.workload.get(cmPath("ready"))),
        async () => {
          // Another actor (a controller) makes the object; the step waits for it through a watch.
          setTimeout(() => void configMap(c.workload, "ready", { ok: "true" }), 300);
          await c.workload.waitFor(cmPath(), (obj) => obj.metadata.name === "ready", { what: "ConfigMap ready", timeoutMs: 30_000 });
          return undefined;
        },
        async () => undefined,
      ),
    ],
  };
}

async function snapshot(c: Clusters): Promise<Record<string, unknown>> {
  const objects = async (kube: Kube) => (await kube.list(cmPath())).filter((o) => o.metadata.name !== "kube-root-ca.crt").map((o) => ({ name: o.metadata.name, data: o.data, resourceVersion: o.metadata.resourceVersion }));
  return { management: await objects(c.management), workload: await objects(c.workload), leases: (await c.management.list("/apis/coordination.k8s.io/v1/namespaces/default/leases")).map((l) => l.metadata.name) };
}

function reset(cps: ControlPlane[]): void {
  for (const cp of cps) cp.kubectl(["delete", "configmap", "--all", "-n", NS, "--ignore-not-found"]);
}

describe("runbooks against local API servers", () => {
  let stop: () => Promise<void>;
  let cps: ControlPlane[];
  let c: Clusters;

  beforeAll(async () => {
    const clusters = await startClusters("runbook");
    stop = clusters.stop;
    cps = [clusters.management, clusters.workload];
    c = { management: await connect({ kubeconfig: clusters.management.kubeconfigPath }), workload: await connect({ kubeconfig: clusters.workload.kubeconfigPath }) };
    for (const cp of cps) cp.kubectl(["create", "namespace", NS]);
  });
  afterAll(async () => {
    await stop?.();
  });

  let reference: Record<string, unknown>;
  const endState = async () => {
    const s = await snapshot(c);
    const data = (objs: unknown) => (objs as Array<{ name: string; data: unknown }>).map(({ name, data }) => ({ name, data }));
    return { management: data(s.management), workload: data(s.workload), leases: s.leases };
  };

  test("GIVEN an uninterrupted run THEN both clusters hold the sample's objects and no lease is left", async () => {
    await runRunbook(testContext(), new FileStore(tmp("store")), sampleRunbook(c), { options: { version: "v1" } });
    reference = await endState();
    expect(reference).toEqual({
      management: [
        { name: "marker", data: undefined },
        { name: "settings", data: { version: "v1" } },
      ],
      workload: [
        { name: "marker", data: undefined },
        { name: "mirror", data: { from: "v1" } },
        { name: "ready", data: { ok: "true" } },
      ],
      leases: [],
    });
  });

  test("GIVEN --dry-run and --plan THEN neither cluster changes (not one resourceVersion), and no lease is taken", async () => {
    reset(cps);
    await runRunbook(testContext(), new FileStore(tmp("store")), sampleRunbook(c), { options: { version: "v1" } });
    const before = await snapshot(c);
    await c.management.apply(cmPath("settings"), { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: NS }, data: { version: "v0" } }, "rb-sample");
    const changed = await snapshot(c);
    const result = await runRunbook(testContext(), new FileStore(tmp("store")), sampleRunbook(c), { dryRun: true, options: { version: "v1" } });
    // mirror follows what settings would produce: with settings not run, it would run too.
    expect(result.steps.map((s) => `${s.id}:${s.status}`)).toEqual(["markers:skipped", "settings:would-run", "mirror:would-run", "ready:skipped"]);
    plan(sampleRunbook(c));
    expect(await snapshot(c)).toEqual(changed);
    expect(changed).not.toEqual(before);
  });

  test.each(["markers", "settings", "mirror", "ready"])("GIVEN a failure injected in step %s WHEN resumed THEN the end state equals the uninterrupted run's", async (failAt) => {
    reset(cps);
    const store = new FileStore(tmp("store"));
    const rb = sampleRunbook(c, { failAt });
    const err = await runRunbook(testContext(), store, rb, { options: { version: "v1" } }).catch((e) => e);
    expect(String(err.message)).toContain(`step ${failAt} crashed half-way`);
    expect((await snapshot(c)).leases).toEqual([]);
    await runRunbook(testContext(), store, rb, { resume: true });
    expect(await endState()).toEqual(reference);
  });

  test("GIVEN a run holding the management cluster's Lease WHEN another maintainer (another team store) starts one THEN refused with exit 3 naming the holder", async () => {
    reset(cps);
    let reached!: () => void;
    const atGate = new Promise<void>((r) => {
      reached = r;
    });
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const gate = { step: "mirror", reached, release: released };
    const first = runRunbook(testContext(), new FileStore(tmp("laptop-a")), sampleRunbook(c, { gate }), { options: { version: "v1" } });
    await atGate;
    const lease = await c.management.get(`/apis/coordination.k8s.io/v1/namespaces/default/leases/${leaseName("rb")}`);
    expect(String(lease?.spec?.holderIdentity)).toMatch(/^sample run \S+ of \S+@\S+$/);

    const err = await runRunbook(testContext(), new FileStore(tmp("laptop-b")), sampleRunbook(c), { options: { version: "v1" } }).catch((e) => e);
    expect(exitCodeOf(err)).toBe(3);
    expect(err.message).toContain(`locked in the management cluster by ${String(lease?.spec?.holderIdentity)}`);
    release();
    await first;
    expect((await snapshot(c)).leases).toEqual([]);
    expect(await endState()).toEqual(reference);
  });

  test("GIVEN a fresh Lease left by a killed run of the same team store WHEN the next run starts THEN it takes the Lease over at once (no wait for the expiry)", async () => {
    reset(cps);
    const store = new FileStore(tmp("store"));
    // What kill -9 after the run's last journal record leaves: the run's journal, and its Lease renewed a moment ago.
    await store.write("runs/rb/20261201T000000Z-dead01.jsonl", `${JSON.stringify({ type: "end", outcome: "succeeded" })}\n`);
    const now = new Date().toISOString().replace(/Z$/, "000Z");
    await c.management.write("POST", "/apis/coordination.k8s.io/v1/namespaces/default/leases", {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: leaseName("rb"), namespace: "default" },
      spec: { holderIdentity: "sample run 20261201T000000Z-dead01 of someone@laptop", leaseDurationSeconds: 60, acquireTime: now, renewTime: now },
    });
    await runRunbook(testContext(), store, sampleRunbook(c), { options: { version: "v1" } });
    expect((await snapshot(c)).leases).toEqual([]);
    expect(await endState()).toEqual(reference);
  });

  test("GIVEN a wait on a condition THEN it resolves within a second of the condition holding, and a timeout names what it waited for", async () => {
    reset(cps);
    let createdAt = 0;
    setTimeout(async () => {
      await c.workload.apply(cmPath("late"), { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "late", namespace: NS }, data: {} }, "rb-sample");
      createdAt = Date.now();
    }, 1500);
    await c.workload.waitFor(cmPath(), (o) => o.metadata.name === "late", { what: "ConfigMap late", timeoutMs: 30_000 });
    const resolvedAt = Date.now();
    await new Promise((r) => setTimeout(r, 500));
    expect(createdAt).toBeGreaterThan(0);
    // The apply's own response may come after the watch event: the difference can be negative.
    expect(resolvedAt - createdAt).toBeLessThan(1000);
    await expect(c.workload.waitFor(cmPath(), (o) => o.metadata.name === "never", { what: "ConfigMap never", timeoutMs: 1500 })).rejects.toThrow("timed out after 2 s waiting for ConfigMap never");
  });
});
