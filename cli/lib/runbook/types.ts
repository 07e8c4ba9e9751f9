/**
 * A runbook is data: an ordered list of steps. Each step says how to tell that its goal
 * already holds (check), how to reach it (run) and how to prove it (verify, by default the
 * check again). The engine (engine.ts) does the rest: lock, journal, resume, dry-run,
 * confirmation, reporting, audit.
 */
import type { Kube } from "../../../stacks/core/kube-client";
import type { Reporter } from "../reporter";
import type { ToolName } from "../tools/catalog";

export interface RunContext {
  readonly stack: string;
  readonly runId: string;
  readonly reporter: Reporter;
  /** Aborted on Ctrl-C: long waits and tools must stop when it fires. */
  readonly signal: AbortSignal;
  readonly dryRun: boolean;
  /** The runbook's own options, as given (or as journaled, on --resume). Never secrets. */
  readonly options: Readonly<Record<string, unknown>>;
  /** What earlier steps produced (journaled; never secrets). */
  readonly outputs: Record<string, unknown>;
}

export interface Step<C extends RunContext = RunContext> {
  readonly id: string;
  readonly title: string;
  /** The section of the hand-run README this step reproduces. */
  readonly source?: string;
  /** Asks for the cluster name to be typed first (unless --yes). */
  readonly destructive?: boolean;
  /** Whether the goal already holds; read-only. True: the step is skipped. */
  check(ctx: C): Promise<boolean>;
  /** Reaches the goal. What it returns is kept in ctx.outputs and the journal. */
  run(ctx: C): Promise<Record<string, unknown> | undefined>;
  /** Proof after run; default: check() holds. */
  verify?(ctx: C): Promise<boolean>;
  /**
   * When the step is skipped because its goal holds: what it would have produced, read back
   * from the world (later steps may need it on a fresh run, where no journal has it).
   */
  observe?(ctx: C): Promise<Record<string, unknown>>;
  /** What --dry-run shows for a step that would run (a preview); read-only. */
  preview?(ctx: C): Promise<string | undefined>;
}

export interface Runbook<C extends RunContext = RunContext> {
  readonly name: string;
  /** The words after `prow-ops` that run it (e.g. "bastion swap"). */
  readonly command: string;
  readonly title: string;
  readonly steps: readonly Step<C>[];
  /** The tools the preflight checks; from the options as given, or as journaled on --resume. */
  readonly tools: readonly ToolName[] | ((options: Readonly<Record<string, unknown>>) => readonly ToolName[]);
  /** The value a destructive step's confirmation asks to be typed (the cluster name). */
  confirmationWord(ctx: RunContext): Promise<string>;
  /** Builds the runbook's context (clients, stack) once the lock is held. */
  context(base: RunContext): Promise<C>;
  /**
   * The management cluster, once one exists (asked before each step until it answers): the
   * runbook lock is then held there too, as a Lease every maintainer can see.
   */
  managementCluster?(ctx: C): Promise<Kube | undefined>;
  /**
   * What must hold before and after every step (e.g. "the operator has a working path to the
   * API"): a description of the breach, or undefined. A breach stops the run at once.
   */
  invariant?(ctx: C): Promise<string | undefined>;
  /** On a stop (failure, Ctrl-C, breach): what state things are in and the way out, for the message. */
  explainStop?(ctx: C): Promise<string | undefined>;
  /** Releases what context() opened (tunnels, clients), whatever the outcome. */
  close?(ctx: C): Promise<void>;
}
