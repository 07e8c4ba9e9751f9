/**
 * Runs a runbook: preflight of its tools, the stack's runbook lock for the whole run, a
 * journal of every step, checks before actions (a step whose goal holds is skipped, so a
 * second run changes nothing), typed confirmation before destructive steps, verification
 * after each, and on any failure or Ctrl-C a stop with the command that resumes. An audit
 * record of the run is kept beside the state.
 */
import { ProwOpsError, RefusedError, UsageError } from "../../../stacks/core/errors";
import { confirmTyped } from "../confirm";
import type { Context } from "../context";
import { mask } from "../mask";
import type { TeamStore } from "../team/store";
import { preflight } from "../tools/catalog";
import { Journal } from "./journal";
import { acquireLease } from "./cluster-lease";
import { acquireRunbookLock, newRunId, whoami } from "./lock";
import { stepReporter } from "./step-reporter";
import type { RunContext, Runbook, Step } from "./types";

export interface RunOptions {
  resume?: boolean;
  from?: string;
  dryRun?: boolean;
  /** The runbook's own options (journaled; never secrets). */
  options?: Record<string, unknown>;
  /** Ctrl-C; the CLI wires SIGINT to it. */
  signal?: AbortSignal;
  /** Skips the tools preflight (tests that fake every tool). */
  skipPreflight?: boolean;
}

export class StepError extends ProwOpsError {
  constructor(
    readonly stepId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("STEP", message, options);
  }
}

export interface RunResult {
  runId: string;
  outcome: "succeeded" | "dry-run";
  steps: Array<{ id: string; status: string; durationMs: number }>;
}

/** `--plan`: ids and titles only; needs no cluster, no credentials, touches nothing. */
export function plan(rb: Runbook<RunContext>): Array<{ id: string; title: string; source?: string; destructive: boolean }> {
  return rb.steps.map((s) => ({ id: s.id, title: s.title, ...(s.source ? { source: s.source } : {}), destructive: Boolean(s.destructive) }));
}

function startIndex<C extends RunContext>(steps: readonly Step<C>[], from?: string): number {
  if (!from) return 0;
  const i = steps.findIndex((s) => s.id === from);
  if (i < 0) throw new UsageError(`--from ${JSON.stringify(from)}: no such step (expected one of ${steps.map((s) => s.id).join(", ")})`);
  return i;
}

export async function runRunbook<C extends RunContext>(ctx: Context, store: TeamStore, rb: Runbook<C>, o: RunOptions = {}): Promise<RunResult> {
  const stack = ctx.options.stack;
  const first = startIndex(rb.steps, o.from);
  const previous = o.resume ? await Journal.unfinished(store, stack, rb.name) : undefined;
  if (o.resume && !previous) throw new UsageError(`nothing to resume: no unfinished run of ${rb.name} on stack ${stack} (run it without --resume)`);
  const resumedStart = previous?.records.find((r) => r.type === "start");
  const options = resumedStart?.type === "start" ? resumedStart.options : (o.options ?? {});
  if (!o.skipPreflight && !o.dryRun) await preflight(typeof rb.tools === "function" ? rb.tools(options) : rb.tools);

  const runId = previous?.runId ?? newRunId();
  const started = new Date();
  const outputs: Record<string, unknown> = {};
  for (const r of previous?.records ?? []) if (r.type === "step" && r.outputs) Object.assign(outputs, r.outputs);

  const release = o.dryRun ? async () => undefined : await acquireRunbookLock(store, stack, rb.name, runId, (p) => ctx.reporter.warn(`took over the lock of ${p.runbook} run ${p.runId}: its process ${p.pid} on this machine is gone`));
  const journal = new Journal(store, Journal.key(stack, runId));
  const audit: RunResult["steps"] = [];
  const show = stepReporter(ctx.reporter);
  const signal = o.signal ?? new AbortController().signal;
  let outcome: "succeeded" | "failed" | "interrupted" | "dry-run" = o.dryRun ? "dry-run" : "succeeded";
  let failure: unknown;
  let releaseLease: (() => Promise<void>) | undefined;
  let rc: C | undefined;
  const holds = async (when: string) => {
    const breach = rc && rb.invariant && !o.dryRun ? await rb.invariant(rc) : undefined;
    if (breach) throw new StepError(when, `invariant broken ${when}: ${breach}`);
  };
  try {
    for (const r of previous?.records ?? []) await journal.append(r);
    await journal.append({ type: "start", time: started.toISOString(), runbook: rb.name, stack, runId, ...whoami(), options, ...(previous ? { resumedFrom: previous.runId } : {}) });
    const base: RunContext = { stack, runId, reporter: ctx.reporter, signal, dryRun: Boolean(o.dryRun), options, outputs };
    rc = await rb.context(base);
    for (const step of rb.steps.slice(first)) {
      if (signal.aborted) throw new RefusedError(`interrupted before step ${step.id}`);
      if (!o.dryRun && !releaseLease && rb.managementCluster) {
        const kube = await rb.managementCluster(rc as C);
        if (kube) {
          // A run of this team's store cannot be running: this run holds the team's lock.
          const deadHolder = async (identity: string) => {
            const id = /\brun (\S+) of /.exec(identity)?.[1];
            return id !== undefined && id !== runId && (await store.read(Journal.key(stack, id))) !== undefined;
          };
          const lease = await acquireLease(kube, stack, `${rb.name} run ${runId} of ${whoami().user}@${whoami().host}`, { deadHolder });
          releaseLease = lease.release;
          if (lease.tookOverFrom) ctx.reporter.warn(`took over the management cluster's Lease from ${lease.tookOverFrom}: that run is this team's and is not running`);
        }
      }
      const t0 = Date.now();
      const record = async (status: "done" | "skipped" | "failed" | "would-run" | "interrupted", extra: { outputs?: Record<string, unknown>; message?: string } = {}) => {
        const durationMs = Date.now() - t0;
        show.step(step.id, step.title, status, durationMs, extra.message);
        audit.push({ id: step.id, status, durationMs });
        await journal.append({ type: "step", time: new Date().toISOString(), id: step.id, status, durationMs, ...extra });
      };
      show.step(step.id, step.title, "running");
      try {
        await holds(`before step ${step.id}`);
        if (await step.check(rc)) {
          const observed = step.observe ? await step.observe(rc) : {};
          Object.assign(outputs, observed);
          await record("skipped", { outputs: observed });
          continue;
        }
        if (o.dryRun) {
          await record("would-run", { message: step.preview ? await step.preview(rc) : undefined });
          continue;
        }
        if (step.destructive) await confirmTyped(ctx, `step ${step.id} (${step.title}) changes the cluster destructively`, await rb.confirmationWord(rc));
        const produced = (await step.run(rc)) ?? {};
        Object.assign(outputs, produced);
        const verified = step.verify ? await step.verify(rc) : await step.check(rc);
        if (!verified) throw new StepError(step.id, `step ${step.id} ran but its result could not be verified`);
        await holds(`after step ${step.id}`);
        await record("done", { outputs: produced });
      } catch (err) {
        const interrupted = signal.aborted;
        await record(interrupted ? "interrupted" : "failed", { message: mask((err as Error).message ?? String(err)) });
        throw err instanceof ProwOpsError ? err : new StepError(step.id, mask(`step ${step.id} failed: ${(err as Error).message}`), { cause: err });
      }
    }
    return { runId, outcome: o.dryRun ? "dry-run" : "succeeded", steps: audit };
  } catch (err) {
    failure = err;
    outcome = signal.aborted ? "interrupted" : "failed";
    const state = rc && rb.explainStop && !o.dryRun ? await rb.explainStop(rc).catch((e) => `(the state could not be read: ${(e as Error).message})`) : undefined;
    if (state && err instanceof ProwOpsError) err.message += `\n${state}`;
    throw withResumeHint(err, rb, stack, o.dryRun);
  } finally {
    // The Lease first: closing the run's context closes the path (the bastion tunnel) it is reached through.
    await releaseLease?.().catch((e) => ctx.reporter.warn(`the management cluster's Lease could not be released (it expires on its own within a minute): ${(e as Error).message}`));
    if (rc && rb.close) await rb.close(rc).catch(() => undefined);
    const message = failure ? mask((failure as Error).message ?? String(failure)) : undefined;
    await journal.append({ type: "end", time: new Date().toISOString(), outcome, ...(message ? { message } : {}) }).catch(() => undefined);
    await writeAudit(store, { runbook: rb.name, stack, runId, ...whoami(), options, start: started.toISOString(), end: new Date().toISOString(), outcome, steps: audit, ...(message ? { message } : {}) }).catch(() => undefined);
    await release();
  }
}

function withResumeHint(err: unknown, rb: { command: string }, stack: string, dryRun?: boolean): unknown {
  if (dryRun || !(err instanceof ProwOpsError) || ["USAGE", "SETUP"].includes(err.code)) return err;
  const where = err.message.startsWith("invariant broken") ? "The run stopped." : "The run stopped in a safe place.";
  err.message += `\n${where} Continue it with: prow-ops --stack ${stack} ${rb.command} --resume`;
  return err;
}

export interface AuditRecord {
  runbook: string;
  stack: string;
  runId: string;
  user: string;
  host: string;
  options: Record<string, unknown>;
  start: string;
  end: string;
  outcome: string;
  steps: RunResult["steps"];
  message?: string;
}

/** One record per run, readable by the whole team beside the state (`audit/<stack>/<start>-<runbook>-<runId>.json`). */
async function writeAudit(store: TeamStore, a: AuditRecord): Promise<void> {
  await store.write(`audit/${a.stack}/${a.runId}-${a.runbook}.json`, mask(JSON.stringify(a, null, 2)));
}
