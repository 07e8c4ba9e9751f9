/**
 * The runbook engine on a sample runbook whose "world" is a folder of files: every step
 * checks, acts and is verified there, so the end state can be compared exactly.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { Context } from "../../../cli/lib/context";
import { exitCodeOf } from "../../../cli/lib/exit-codes";
import { registerSecret } from "../../../cli/lib/mask";
import { createReporter } from "../../../cli/lib/reporter";
import { plan, runRunbook } from "../../../cli/lib/runbook/engine";
import { Journal } from "../../../cli/lib/runbook/journal";
import { acquireRunbookLock } from "../../../cli/lib/runbook/lock";
import type { RunContext, Runbook, Step } from "../../../cli/lib/runbook/types";
import { FileStore } from "../../../cli/lib/team/store";
import { ProwOpsError } from "../../../stacks/core/errors";
import type { Kube, KubeObject } from "../../../stacks/core/kube-client";

const CANARY = "CANARY-runbook-secret-5a1f";
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `prow-ops-rb-${p}-`));

function testContext(yes = true): { ctx: Context; out: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks: string[] = [];
  for (const stream of [stdout, stderr]) stream.on("data", (d) => chunks.push(String(d)));
  const options = { stack: "t", json: true, yes, verbose: false, color: false };
  return { ctx: { options, reporter: createReporter(options, stdout, stderr), projectDir: tmp("proj"), stackFile: "/dev/null" }, out: () => chunks.join("") };
}

/** Steps that each make one file hold a value; `failAt` makes that step throw once (a crash), carrying a secret in its message. */
function sampleRunbook(world: string, failAt?: string, destructive = false): Runbook<RunContext> & { runs: string[] } {
  const runs: string[] = [];
  let failed = false;
  const fileStep = (id: string, value: (ctx: RunContext) => string): Step => ({
    id,
    title: `make ${id} hold its value`,
    source: "Sample section",
    destructive: destructive && id === "c",
    check: async (ctx) => existsSync(join(world, id)) && readFileSync(join(world, id), "utf8") === value(ctx),
    run: async (ctx) => {
      runs.push(id);
      if (id === failAt && !failed) {
        failed = true;
        writeFileSync(join(world, id), "half-written");
        throw new Error(`tool crashed while handling ${CANARY}`);
      }
      writeFileSync(join(world, id), value(ctx));
      return { [`${id}-written`]: value(ctx) };
    },
    preview: async () => `would write ${id}`,
    observe: async () => ({ [`${id}-written`]: readFileSync(join(world, id), "utf8") }),
  });
  return {
    name: "sample",
    command: "sample",
    title: "A sample runbook",
    tools: [],
    runs,
    confirmationWord: async () => "prow",
    context: async (base) => base,
    steps: [
      fileStep("a", (ctx) => `a for ${ctx.options.version}`),
      fileStep("b", (ctx) => `b after ${String(ctx.outputs["a-written"])}`),
      fileStep("c", () => "c"),
    ],
  };
}

const snapshot = (dir: string) => Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));

describe("the runbook engine", () => {
  beforeAll(() => registerSecret(CANARY));

  test("GIVEN an uninterrupted run THEN every step runs once and a second run changes nothing", async () => {
    const world = tmp("world");
    const store = new FileStore(tmp("store"));
    const rb = sampleRunbook(world);
    const { ctx } = testContext();
    const first = await runRunbook(ctx, store, rb, { options: { version: "v1" } });
    expect(first.outcome).toBe("succeeded");
    expect(rb.runs).toEqual(["a", "b", "c"]);
    expect(snapshot(world)).toEqual({ a: "a for v1", b: "b after a for v1", c: "c" });
    const again = await runRunbook(ctx, store, rb, { options: { version: "v1" } });
    expect(again.steps.map((s) => s.status)).toEqual(["skipped", "skipped", "skipped"]);
    expect(rb.runs).toEqual(["a", "b", "c"]);
  });

  test.each(["a", "b", "c"])("GIVEN a crash in step %s WHEN resumed THEN the end state equals an uninterrupted run's, and no secret reaches the journal or the audit", async (failAt) => {
    const reference = tmp("ref");
    await runRunbook(testContext().ctx, new FileStore(tmp("store")), sampleRunbook(reference), { options: { version: "v2" } });

    const world = tmp("world");
    const storeDir = tmp("store");
    const store = new FileStore(storeDir);
    const rb = sampleRunbook(world, failAt);
    const { ctx, out } = testContext();
    const err = await runRunbook(ctx, store, rb, { options: { version: "v2" } }).catch((e) => e);
    expect(err).toBeInstanceOf(ProwOpsError);
    expect(err.message).toContain("Continue it with: prow-ops --stack t sample --resume");
    expect(err.message).not.toContain(CANARY);
    // The lock is released even after a crash.
    expect(existsSync(join(storeDir, "locks", "t.json"))).toBe(false);

    // Options come back from the journal: --resume needs none given again.
    const resumed = await runRunbook(ctx, store, rb, { resume: true });
    expect(resumed.outcome).toBe("succeeded");
    expect(snapshot(world)).toEqual(snapshot(reference));
    const before = ["a", "b", "c"].slice(0, ["a", "b", "c"].indexOf(failAt));
    expect(resumed.steps.filter((s) => s.status === "skipped").map((s) => s.id)).toEqual(before);

    const everything = [out(), ...readdirSync(join(storeDir, "runs", "t")).map((f) => readFileSync(join(storeDir, "runs", "t", f), "utf8")), ...readdirSync(join(storeDir, "audit", "t")).map((f) => readFileSync(join(storeDir, "audit", "t", f), "utf8"))].join("\n");
    expect(everything).toContain("tool crashed while handling ***");
    expect(everything).not.toContain(CANARY);
    const records = Journal.parse(readFileSync(join(storeDir, "runs", "t", readdirSync(join(storeDir, "runs", "t"))[0]), "utf8"));
    expect(records.filter((r) => r.type === "step").map((r) => r.type === "step" && `${r.id}:${r.status}`)).toContain(`${failAt}:failed`);
  });

  test("GIVEN tools that depend on the options WHEN resumed without them THEN the preflight checks the tools of the options journaled by the first run", async () => {
    const world = tmp("world");
    const store = new FileStore(tmp("store"));
    const asked: Array<Readonly<Record<string, unknown>>> = [];
    const rb = { ...sampleRunbook(world, "b"), tools: (o: Readonly<Record<string, unknown>>) => {
        asked.push(o);
        return [];
      },
    };
    const { ctx } = testContext();
    await expect(runRunbook(ctx, store, rb, { options: { version: "v3", bootstrapKubeconfig: "/path" } })).rejects.toBeInstanceOf(ProwOpsError);
    expect((await runRunbook(ctx, store, rb, { resume: true })).outcome).toBe("succeeded");
    expect(asked).toEqual([{ version: "v3", bootstrapKubeconfig: "/path" }, { version: "v3", bootstrapKubeconfig: "/path" }]);
  });

  test("GIVEN the management cluster reached through a path the runbook's close() shuts THEN the Lease is released before it is shut", async () => {
    const leases = new Map<string, KubeObject>();
    let open = true;
    const reach = () => {
      if (!open) throw new Error("cannot reach the API server: the tunnel is closed");
    };
    const kube = {
      write: async (verb: string, path: string, body: KubeObject) => {
        reach();
        const key = verb === "POST" ? `${path}/${body.metadata.name}` : path;
        if (verb === "POST" && leases.has(key)) return undefined;
        leases.set(key, body);
        return body;
      },
      get: async (path: string) => {
        reach();
        return leases.get(path);
      },
      remove: async (path: string) => {
        reach();
        leases.delete(path);
      },
    } as unknown as Kube;
    const rb = { ...sampleRunbook(tmp("world")), managementCluster: async () => kube, close: async () => {
        open = false;
      },
    };
    expect((await runRunbook(testContext().ctx, new FileStore(tmp("store")), rb, { options: { version: "v4" } })).outcome).toBe("succeeded");
    expect(open).toBe(false);
    expect([...leases.keys()]).toEqual([]);
  });

  test("GIVEN --dry-run THEN only checks and previews run: nothing changes, no lock is taken", async () => {
    const world = tmp("world");
    const storeDir = tmp("store");
    const rb = sampleRunbook(world);
    const result = await runRunbook(testContext().ctx, new FileStore(storeDir), rb, { dryRun: true, options: { version: "v1" } });
    expect(result.outcome).toBe("dry-run");
    expect(result.steps.map((s) => s.status)).toEqual(["would-run", "would-run", "would-run"]);
    expect(rb.runs).toEqual([]);
    expect(readdirSync(world)).toEqual([]);
    expect(existsSync(join(storeDir, "locks"))).toBe(false);
  });

  test("GIVEN --plan THEN ids, titles and sources, without any context or store", () => {
    expect(plan(sampleRunbook(tmp("world")))).toEqual([
      { id: "a", title: "make a hold its value", source: "Sample section", destructive: false },
      { id: "b", title: "make b hold its value", source: "Sample section", destructive: false },
      { id: "c", title: "make c hold its value", source: "Sample section", destructive: false },
    ]);
  });

  test("GIVEN the stack's runbook lock held by another run THEN a second run is refused naming the holder (exit 3), and changes nothing", async () => {
    const world = tmp("world");
    const store = new FileStore(tmp("store"));
    const release = await acquireRunbookLock(store, "t", "bastion-swap", "20261130T100000Z-abcdef");
    const err = await runRunbook(testContext().ctx, store, sampleRunbook(world), { options: { version: "v1" } }).catch((e) => e);
    expect(err.message).toMatch(/stack t is locked by runbook bastion-swap \(run 20261130T100000Z-abcdef\) of \S+@\S+ \(pid \d+\) since 20\d\d-.*prow-ops unlock --stack t` and continue it with --resume/);
    expect(exitCodeOf(err)).toBe(3);
    expect(readdirSync(world)).toEqual([]);
    await release();
  });

  test("GIVEN a destructive step, no terminal and no --yes THEN it is refused before changing anything (exit 3)", async () => {
    const world = tmp("world");
    const rb = sampleRunbook(world, undefined, true);
    const err = await runRunbook(testContext(false).ctx, new FileStore(tmp("store")), rb, { options: { version: "v1" } }).catch((e) => e);
    expect(exitCodeOf(err)).toBe(3);
    expect(err.message).toMatch(/no terminal to confirm on; run again with --yes/);
    expect(Object.keys(snapshot(world))).toEqual(["a", "b"]);
  });

  test.each([
    [{ from: "z" }, /--from "z": no such step \(expected one of a, b, c\)/],
    [{ resume: true }, /nothing to resume: no unfinished run of sample on stack t/],
  ])("GIVEN %j THEN exit 2 and nothing runs", async (opts, message) => {
    const world = tmp("world");
    const rb = sampleRunbook(world);
    const err = await runRunbook(testContext().ctx, new FileStore(tmp("store")), rb, opts).catch((e) => e);
    expect(err.message).toMatch(message);
    expect(exitCodeOf(err)).toBe(2);
    expect(rb.runs).toEqual([]);
  });

  test("GIVEN --from b THEN a is not checked nor run", async () => {
    const world = tmp("world");
    mkdirSync(world, { recursive: true });
    const rb = sampleRunbook(world);
    const result = await runRunbook(testContext().ctx, new FileStore(tmp("store")), rb, { from: "b", options: { version: "v1" } });
    expect(result.steps.map((s) => s.id)).toEqual(["b", "c"]);
    expect(rb.runs).toEqual(["b", "c"]);
  });

  test("GIVEN Ctrl-C during a run THEN it stops before the next step, journals the interruption and resumes from there", async () => {
    const world = tmp("world");
    const store = new FileStore(tmp("store"));
    const rb = sampleRunbook(world);
    const controller = new AbortController();
    const original = rb.steps[0].run;
    (rb.steps[0] as { run: Step["run"] }).run = async (ctx) => {
      const out = await original(ctx);
      controller.abort();
      return out;
    };
    const err = await runRunbook(testContext().ctx, store, rb, { signal: controller.signal, options: { version: "v1" } }).catch((e) => e);
    expect(err.message).toMatch(/interrupted before step b[\s\S]*--resume/);
    expect(Object.keys(snapshot(world))).toEqual(["a"]);
    const resumed = await runRunbook(testContext().ctx, store, rb, { resume: true });
    expect(resumed.steps.map((s) => `${s.id}:${s.status}`)).toEqual(["a:skipped", "b:done", "c:done"]);
  });

  test("GIVEN an invariant that breaks after a step THEN the run stops there, the message carries the runbook's account of the state, and close() runs", async () => {
    const world = tmp("world");
    const rb = sampleRunbook(world);
    let closed = 0;
    const guarded: Runbook<RunContext> = {
      ...rb,
      invariant: async () => (existsSync(join(world, "b")) ? "b exists, which the invariant forbids" : undefined),
      explainStop: async () => "State now: b written",
      close: async () => {
        closed++;
      },
    };
    const err = await runRunbook(testContext().ctx, new FileStore(tmp("store")), guarded, { options: { version: "v1" } }).catch((e) => e);
    expect(err.message).toMatch(/^invariant broken after step b: b exists, which the invariant forbids\nState now: b written\nThe run stopped\. Continue it with: prow-ops --stack t sample --resume$/);
    expect(rb.runs).toEqual(["a", "b"]);
    expect(closed).toBe(1);
    // A success closes too, and a dry run never asks the invariant.
    await runRunbook(testContext().ctx, new FileStore(tmp("store")), { ...guarded, invariant: async () => undefined }, { options: { version: "v1" } });
    expect(closed).toBe(2);
  });

  test("GIVEN the lock left by a killed process of this machine THEN the next run takes it over and says whose it was; a live holder's lock is refused", async () => {
    const store = new FileStore(tmp("store"));
    const { hostname } = await import("node:os");
    const dead = { runbook: "bastion-swap", runId: "20261130T100000Z-dead00", user: "op", host: hostname(), pid: 2 ** 22 + 12345, since: "2026-11-30T10:00:00Z" };
    await store.write("locks/t.json", JSON.stringify(dead));
    const seen: unknown[] = [];
    const release = await acquireRunbookLock(store, "t", "sample", "20261130T110000Z-new000", (p) => seen.push(p));
    expect(seen).toEqual([dead]);
    const held = await acquireRunbookLock(store, "t", "other", "20261130T110000Z-second").catch((e) => e);
    expect(exitCodeOf(held)).toBe(3);
    await release();
    await store.write("locks/t.json", JSON.stringify({ ...dead, host: "another-machine" }));
    expect(exitCodeOf(await acquireRunbookLock(store, "t", "sample", "20261130T120000Z-third0").catch((e) => e))).toBe(3);
  });
});
