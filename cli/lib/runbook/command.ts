/** The runbook commands' behaviour: plan, run (with Ctrl-C as a clean stop), and the `runs` records. */
import { UsageError } from "../../../stacks/core/errors";
import type { Context } from "../context";
import { withInterrupts } from "../interrupt";
import { backendUrl } from "../engine/workspace";
import { teamStoreFor, type TeamStore } from "../team/store";
import { type AuditRecord, plan, type RunOptions, runRunbook } from "./engine";
import { Journal } from "./journal";
import type { RunContext, Runbook } from "./types";

export const storeOf = (ctx: Context): Promise<TeamStore> => teamStoreFor(backendUrl({ projectDir: ctx.projectDir, stack: ctx.options.stack, backend: ctx.options.backend }));

export async function runbookCommand(ctx: Context, rb: Runbook<RunContext>, o: RunOptions & { plan?: boolean }): Promise<void> {
  if (o.plan) {
    const steps = plan(rb);
    ctx.reporter.result({ runbook: rb.name, steps }, [`${rb.title} — ${steps.length} steps:`, ...steps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.id.padEnd(24)} ${s.title}${s.destructive ? "  [asks to confirm]" : ""}${s.source ? `  (${s.source})` : ""}`)].join("\n"));
    return;
  }
  const store = await storeOf(ctx);
  const controller = new AbortController();
  const result = await withInterrupts(
    () => {
      ctx.reporter.warn("stopping after the current step's operation ends (Ctrl-C)");
      controller.abort();
    },
    () => runRunbook(ctx, store, rb, { ...o, signal: controller.signal }),
  );
  ctx.reporter.result(result, `${rb.name} ${result.outcome === "dry-run" ? "dry run finished: nothing was changed" : "finished"} (run ${result.runId})`);
}

export async function runsList(ctx: Context): Promise<void> {
  const store = await storeOf(ctx);
  const keys = await store.list(`audit/${ctx.options.stack}`);
  const records = (await Promise.all(keys.map(async (k) => JSON.parse((await store.read(k)) ?? "{}") as AuditRecord))).reverse();
  const human = records.length
    ? records.map((r) => `  ${r.runId}  ${r.runbook.padEnd(16)} ${r.outcome.padEnd(12)} ${r.user}@${r.host}  ${r.start} → ${r.end}`).join("\n")
    : `no runbook runs recorded for stack ${ctx.options.stack} (in ${store.location})`;
  ctx.reporter.result({ stack: ctx.options.stack, runs: records }, human);
}

export async function runsShow(ctx: Context, runId: string): Promise<void> {
  if (!/^[0-9TZ]+-[0-9a-f]+$/.test(runId)) throw new UsageError(`${JSON.stringify(runId)} is not a run id (see \`prow-ops runs list\`)`);
  const store = await storeOf(ctx);
  const text = await store.read(Journal.key(ctx.options.stack, runId));
  if (!text) throw new UsageError(`no run ${runId} on stack ${ctx.options.stack} (see \`prow-ops runs list\`)`);
  const records = Journal.parse(text);
  const human = records
    .map((r) => (r.type === "step" ? `  ${r.time}  ${r.id.padEnd(24)} ${r.status}${r.message ? `: ${r.message.split("\n")[0]}` : ""}` : `  ${r.time}  ${r.type === "start" ? `start ${r.runbook} by ${r.user}@${r.host}` : `end: ${r.outcome}`}`))
    .join("\n");
  ctx.reporter.result({ runId, records }, human);
}

