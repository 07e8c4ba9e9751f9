/** The engine commands: what each does with a preview, a confirmation and the summary. */
import { LAYERS, type LayerName } from "../../../config/layer-names";
import { DriftError, RefusedError } from "../../../stacks/core/errors";
import { confirmTyped } from "../confirm";
import type { Context } from "../context";
import { type ChangeSummary, explainFailure, formatSummary, type Operation, runOperation } from "./operations";
import { withStack } from "./session";
import { acquireRunbookLock, lockKey, newRunId } from "../runbook/lock";
import { teamStoreFor } from "../team/store";
import type { OpenedStack } from "./workspace";

export interface EngineCommandOptions {
  target?: LayerName[];
  mirror?: string;
  expectNoChanges?: boolean;
}

/** The layers a command works on, for the access path: the targets, else every layer. */
const clusters = (o: EngineCommandOptions) => ({ ...o, clusters: o.target ?? LAYERS });

const changedList = (s: ChangeSummary) => s.changed.map((c) => `  ${c.op.padEnd(9)} ${c.type}  ${c.name}  [${c.layer}]`).join("\n");

function report(ctx: Context, s: ChangeSummary): void {
  for (const d of s.diagnostics.filter((x) => x.severity === "warning")) ctx.reporter.warn(d.message.split("\n")[0]);
  ctx.reporter.result(s, formatSummary(s));
}

function expectNone(s: ChangeSummary, what: string): void {
  if (s.changed.length) throw new DriftError(`${what}: ${s.changed.length} resource(s) would change where none were expected:\n${changedList(s)}`);
}

async function operate(ctx: Context, opened: OpenedStack, op: Operation, o: EngineCommandOptions, signal: AbortSignal): Promise<ChangeSummary> {
  ctx.reporter.info(`${op} of stack ${opened.stackName}${o.target ? ` (layers ${o.target.join(", ")})` : ""} on ${opened.backend}`);
  return runOperation(opened, op, { reporter: ctx.reporter, target: o.target, signal });
}

export async function previewCommand(ctx: Context, o: EngineCommandOptions): Promise<void> {
  await withStack(ctx, clusters(o), async (opened, signal) => {
    const s = await operate(ctx, opened, "preview", o, signal);
    report(ctx, s);
    if (o.expectNoChanges) expectNone(s, `stack ${opened.stackName} has drifted from its configuration`);
  });
}

/**
 * Changes hold the stack's team lock from the first preview to the end (the runbook lock,
 * beside the state): a second maintainer is refused at once, before previewing a plan that
 * the first one is about to make stale.
 */
export async function exclusive<T>(opened: OpenedStack, command: string, fn: () => Promise<T>): Promise<T> {
  const store = await teamStoreFor(opened.backend);
  const release = await acquireRunbookLock(store, opened.stackName, command, newRunId());
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** A preview first; then yes/no, or the cluster name typed when anything would be deleted or replaced. */
export async function upCommand(ctx: Context, o: EngineCommandOptions): Promise<void> {
  const reapTemporary = !o.target || o.target.includes("cluster");
  await withStack(ctx, { ...clusters(o), reapTemporary }, (opened, signal) => exclusive(opened, "up", () => upSteps(ctx, opened, o, signal)));
}

async function upSteps(ctx: Context, opened: OpenedStack, o: EngineCommandOptions, signal: AbortSignal): Promise<void> {
  const preview = await operate(ctx, opened, "preview", o, signal);
  ctx.reporter.info(formatSummary(preview));
  if (!preview.changed.length) {
    ctx.reporter.result(preview, "nothing to do: the stack matches its configuration");
    return;
  }
  const destructive = preview.changed.filter((c) => /delete|replace/.test(c.op));
  const cluster = await clusterName(opened);
  await confirmTyped(
    ctx,
    destructive.length ? `up would delete or replace ${destructive.length} resource(s):\n${changedList({ ...preview, changed: destructive })}\n` : `up would apply ${preview.changed.length} change(s) to stack ${opened.stackName}`,
    destructive.length ? cluster : opened.stackName,
  );
  const s = await operate(ctx, opened, "up", o, signal);
  report(ctx, s);
}

export async function refreshCommand(ctx: Context, o: EngineCommandOptions): Promise<void> {
  await withStack(ctx, clusters(o), async (opened, signal) => {
    const s = await exclusive(opened, "refresh", () => operate(ctx, opened, "refresh", o, signal));
    report(ctx, s);
    if (o.expectNoChanges) expectNone(s, `the state of stack ${opened.stackName} differed from what the clouds and clusters hold`);
  });
}

export async function destroyCommand(ctx: Context, o: EngineCommandOptions): Promise<void> {
  await withStack(ctx, clusters(o), async (opened, signal) => {
    const cluster = await clusterName(opened);
    const scope = o.target ? `the layers ${o.target.join(", ")} of stack ${opened.stackName}` : `every resource of stack ${opened.stackName}`;
    await confirmTyped(ctx, `destroy deletes ${scope} (cluster ${cluster})`, cluster);
    const s = await exclusive(opened, "destroy", () => operate(ctx, opened, "destroy", o, signal));
    report(ctx, s);
  });
}

/** Breaks what a crashed run left: the team lock beside the state and Pulumi's own state lock. */
export async function unlockCommand(ctx: Context): Promise<void> {
  await withStack(ctx, {}, async (opened) => {
    const store = await teamStoreFor(opened.backend);
    const holder = await store.read(lockKey(opened.stackName));
    if (holder) ctx.reporter.info(`lock of stack ${opened.stackName}: ${holder}`);
    await confirmTyped(ctx, `unlock removes the locks of stack ${opened.stackName}; only do this when the run holding them is really gone`, opened.stackName);
    if (holder) await store.remove(lockKey(opened.stackName));
    try {
      await opened.stack.cancel();
    } catch (err) {
      throw explainFailure(err, opened, "up");
    }
    ctx.reporter.result({ stack: opened.stackName, unlocked: true }, `stack ${opened.stackName} unlocked`);
  });
}

/** The cluster name from the stack config: what a destructive confirmation asks to be typed. */
async function clusterName(opened: OpenedStack): Promise<string> {
  const value = await opened.stack.getConfig("prow-ops:cluster").catch(() => undefined);
  if (!value) throw new RefusedError(`stack ${opened.stackName} has no prow-ops:cluster configuration`);
  return (JSON.parse(value.value) as { name: string }).name;
}
