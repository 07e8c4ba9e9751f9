/**
 * One engine session for a command: the stack opened from the global options, the path to
 * the clusters behind the bastion opened when its layers need them, the team's temporary
 * load-balancer sources handed to the program, and Ctrl-C (or SIGTERM) turned into one clean
 * cancel of the running operation. A second Ctrl-C stops at once and says how to release the
 * lock that may be left.
 */
import type { LayerName } from "../../../config/layer-names";
import { withAccess } from "../access/with-access";
import { declareTemporary, describe, dropTemporary, leftByCrash, listTemporary } from "../access/temporary-cidrs";
import type { Context } from "../context";
import { withInterrupts } from "../interrupt";
import { teamStoreFor } from "../team/store";
import { type OpenedStack, openProjectStack } from "./workspace";

export interface SessionOptions {
  mirror?: string;
  /** Layers whose clusters the command reaches (through the bastion when configured); none: no cluster. */
  clusters?: readonly LayerName[];
  /** The command applies the cluster layer: temporary sources a crashed run of this machine left are dropped by it. */
  reapTemporary?: boolean;
}

export async function withStack<T>(ctx: Context, o: SessionOptions, fn: (opened: OpenedStack, signal: AbortSignal) => Promise<T>): Promise<T> {
  const opened = await openProjectStack({
    projectDir: ctx.projectDir,
    stack: ctx.options.stack,
    backend: ctx.options.backend,
    fetch: o.mirror ? { mirror: o.mirror } : {},
  });
  if (o.clusters) await temporarySources(ctx, opened, Boolean(o.reapTemporary));
  const controller = new AbortController();
  const run = () =>
    withInterrupts(
      (count) => {
        if (count === 1) {
          ctx.reporter.warn("cancelling: the engine finishes the operations in flight and releases the stack's lock (Ctrl-C again to stop at once)");
          controller.abort();
          return;
        }
        ctx.reporter.warn(`stopped at once: if stack ${opened.stackName} stays locked, run \`prow-ops unlock --stack ${opened.stackName}\``);
        process.exit(130);
      },
      () => fn(opened, controller.signal),
    );
  return o.clusters?.length ? withAccess(ctx, { opened, layers: o.clusters }, run) : run();
}

/** Declares the team's temporary sources; those a crash left are dropped (or named loudly, with the way out). */
async function temporarySources(ctx: Context, opened: OpenedStack, reap: boolean): Promise<void> {
  const store = await teamStoreFor(opened.backend);
  let entries = await listTemporary(store, opened.stackName);
  const crashed = leftByCrash(entries);
  if (crashed.length && reap) {
    ctx.reporter.warn(`removing temporary load-balancer source(s) a crashed prow-ops left: ${crashed.map(describe).join("; ")}`);
    entries = entries.filter((e) => !crashed.includes(e));
    await dropTemporary(store, opened.stackName, crashed.map((e) => e.cidr));
  }
  for (const e of entries) {
    ctx.reporter.warn(`the API load balancer still admits the temporary source ${describe(e)}; it goes with \`prow-ops access --clear-temporary-ips\` (or when its run ends)`);
  }
  declareTemporary(entries);
}
