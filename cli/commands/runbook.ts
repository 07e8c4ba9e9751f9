/**
 * Wiring shared by every runbook command: --plan, --dry-run, --resume, --from. A runbook
 * module is loaded only when its command runs, so `prow-ops --help` stays fast.
 */
import type { Command } from "commander";
import { type Context, contextOf } from "../lib/context";
import type { RunContext, Runbook } from "../lib/runbook/types";
import { examples } from "./help";

export interface RunbookCommand {
  /** Words after `prow-ops`, e.g. "bastion swap". */
  command: string;
  description: string;
  examples: string[];
  /** A positional argument, given to load() as the option of the same name (e.g. "machine"). */
  argument?: { name: string; description: string };
  /** Adds the runbook's own options. */
  options?: (cmd: Command) => Command;
  /** Loads the runbook, given the parsed options (validated by it: bad input → UsageError; not for --plan or --resume, which take none). */
  load: (options: Record<string, unknown>, ctx: Context, mode: { plan?: boolean; resume?: boolean }) => Promise<Runbook<RunContext>>;
}

interface EngineFlags {
  plan?: boolean;
  dryRun?: boolean;
  resume?: boolean;
  from?: string;
}

export function registerRunbook(parent: Command, spec: RunbookCommand): Command {
  const name = spec.command.split(" ").pop() as string;
  let cmd = parent
    .command(name)
    .description(spec.description)
    .option("--plan", "list the steps (ids, titles, where they come from) and stop; needs no cluster and no credentials")
    .option("--dry-run", "run only the checks and previews; change nothing")
    .option("--resume", "continue the last unfinished run from its first step not verified done")
    .option("--from <step-id>", "start at this step");
  if (spec.options) cmd = spec.options(cmd);
  // Optional for commander: --plan and --resume need none (a resumed run keeps the journaled one).
  if (spec.argument) cmd.argument(`[${spec.argument.name}]`, spec.argument.description);
  return cmd.addHelpText("after", examples(spec.examples)).action(async (...args: unknown[]) => {
    const c = args[args.length - 1] as Command;
    // A runbook under another one (upgrade-k8s cleanup): commander gives the engine flags they share to the parent.
    const inherited = (c.parent?.opts() ?? {}) as EngineFlags;
    const given = args[args.length - 2] as EngineFlags & Record<string, unknown>;
    const opts = { ...given, plan: given.plan ?? inherited.plan, dryRun: given.dryRun ?? inherited.dryRun, resume: given.resume ?? inherited.resume, from: given.from ?? inherited.from };
    const { runbookCommand } = await import("../lib/runbook/command");
    const { plan: _p, dryRun: _d, resume: _r, from: _f, ...rest } = opts;
    const own = spec.argument && args[0] !== undefined ? { ...rest, [spec.argument.name]: args[0] } : rest;
    const ctx = contextOf(c);
    await runbookCommand(ctx, await spec.load(own, ctx, { plan: opts.plan, resume: opts.resume }), { plan: opts.plan, dryRun: opts.dryRun, resume: opts.resume, from: opts.from, options: own });
  });
}

export function registerRuns(program: Command): void {
  const runs = program.command("runs").description("the team's runbook runs: audit records, journals, the runbook lock");
  runs
    .command("list")
    .description("audit records of the stack's runbook runs (who, which runbook, options, start, end, outcome)")
    .addHelpText("after", examples(["prow-ops runs list", "prow-ops --json runs list"]))
    .action(async (_o: unknown, c: Command) => {
      await (await import("../lib/runbook/command")).runsList(contextOf(c));
    });
  runs
    .command("show <run-id>")
    .description("the journal of one run, step by step")
    .addHelpText("after", examples(["prow-ops runs show 20261130T101500Z-3fa9c1"]))
    .action(async (runId: string, _o: unknown, c: Command) => {
      await (await import("../lib/runbook/command")).runsShow(contextOf(c), runId);
    });
}
