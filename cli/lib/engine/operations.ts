/**
 * preview / up / refresh / destroy on an opened stack: live progress of every resource that
 * changes, a summary of changes per layer, Ctrl-C as a clean cancel (the engine finishes the
 * operations in flight and releases the stack's lock), and every failure explained.
 */
import { stripVTControlCharacters } from "node:util";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { type LayerName, LAYERS } from "../../../config/schema";
import { PROJECT } from "../../../config/load";
import { ProwOpsError } from "../../../stacks/core/errors";
import { LAYER_SPECS } from "../../../stacks/layers";
import type { Reporter } from "../reporter";
import { diagnose, engineErrorLines } from "./diagnose";
import type { OpenedStack } from "./workspace";

export type Operation = "preview" | "up" | "refresh" | "destroy";

export interface ResourceChange {
  op: string;
  urn: string;
  type: string;
  name: string;
  layer: string;
}

export interface ChangeSummary {
  operation: Operation;
  stack: string;
  result: "succeeded" | "failed" | "cancelled";
  /** Resources by operation (create, update, replace, delete, same, ...). */
  changes: Record<string, number>;
  /** The same per layer ("providers" for the explicit providers). */
  layers: Record<string, Record<string, number>>;
  /** Every resource whose operation is not "same". */
  changed: ResourceChange[];
  diagnostics: Array<{ severity: string; message: string; urn?: string }>;
  durationSeconds: number;
}

export interface OperationOptions {
  reporter: Reporter;
  /** Only these layers (and the providers they use). */
  target?: LayerName[];
  /** With target: layers whose component is also targeted (see targetUrns). */
  targetComponents?: LayerName[];
  /** Aborts the operation as Ctrl-C would; the CLI wires SIGINT to it. */
  signal?: AbortSignal;
}

const LAYER_BY_TYPE = new Map<string, string>(LAYERS.map((l) => [LAYER_SPECS[l].type, l]));

/** urn:pulumi:<stack>::<project>::<parent types>$<type>::<name> → its layer, type and name. */
export function parseUrn(urn: string): Omit<ResourceChange, "op" | "urn"> {
  const [, , typeChain = "", ...rest] = urn.split("::");
  const types = typeChain.split("$");
  const layer = types.map((t) => LAYER_BY_TYPE.get(t)).find(Boolean) ?? (types[0].startsWith("pulumi:providers:") ? "providers" : "stack");
  return { layer, type: types[types.length - 1], name: rest.join("::") };
}

/**
 * The URN globs that select layers: each one's component, everything under it, and the
 * providers its resources use; plus, for `components`, only those layers' component resources.
 * A later layer's component depends on an earlier layer's resources in the state: left
 * untargeted, its stale dependencies keep Pulumi from deleting a resource removed from the
 * targeted layer (the targeted up then skips the delete without a word). A component not yet
 * in the state must not be named: its new dependencies would have to be targeted too.
 */
export function targetUrns(stack: string, layers: LayerName[], components: LayerName[] = []): string[] {
  const prefix = `urn:pulumi:${stack}::${PROJECT}::`;
  const dependents = components.filter((l) => !layers.includes(l)).map((l) => `${prefix}${LAYER_SPECS[l].type}::${l}*`);
  return [
    ...layers.flatMap((l) => {
      const spec = LAYER_SPECS[l];
      const providers = spec.cluster
        ? [`${prefix}pulumi:providers:kubernetes::${spec.cluster}-cluster`]
        : l === "github"
          ? [`${prefix}pulumi:providers:github::**`]
          : [`${prefix}pulumi:providers:openstack::**`, `${prefix}pulumi:providers:command::**`];
      return [`${prefix}${spec.type}::${l}`, `${prefix}${spec.type}$**`, ...providers];
    }),
    ...dependents,
  ];
}

const VERB: Record<string, string> = { create: "creating", update: "updating", delete: "deleting", replace: "replacing", "create-replacement": "creating replacement", "delete-replaced": "deleting replaced", refresh: "refreshing", import: "importing" };

export async function runOperation(opened: OpenedStack, operation: Operation, o: OperationOptions): Promise<ChangeSummary> {
  const started = Date.now();
  const summary: ChangeSummary = { operation, stack: opened.stackName, result: "succeeded", changes: {}, layers: {}, changed: [], diagnostics: [], durationSeconds: 0 };
  const count = (op: string, layer: string) => {
    summary.changes[op] = (summary.changes[op] ?? 0) + 1;
    summary.layers[layer] ??= {};
    summary.layers[layer][op] = (summary.layers[layer][op] ?? 0) + 1;
  };
  const preview = operation === "preview";
  const onEvent = (e: EngineEvent) => {
    const pre = e.resourcePreEvent?.metadata;
    // A preview's steps all come as planning events; an update's as real ones (it runs without its own preview).
    if (pre) {
      const parsed = parseUrn(pre.urn);
      if (pre.type.startsWith("metal3:prow:") || pre.type === "pulumi:pulumi:Stack") return;
      count(pre.op, parsed.layer);
      // A refresh visits every resource; what drifted is told by its outputs event (below).
      if (pre.op !== "same" && pre.op !== "read" && pre.op !== "refresh") {
        summary.changed.push({ op: pre.op, urn: pre.urn, ...parsed });
        o.reporter.progress(`${preview ? "would" : ""} ${preview ? pre.op : (VERB[pre.op] ?? pre.op)}  ${parsed.type}  ${parsed.name}  [${parsed.layer}]`.trim());
      }
    }
    const refreshed = e.resOutputsEvent?.metadata;
    if (refreshed?.op === "refresh" && (refreshed.diffs?.length ?? 0) > 0) {
      const parsed = parseUrn(refreshed.urn);
      summary.changed.push({ op: "refresh", urn: refreshed.urn, ...parsed });
      o.reporter.progress(`drifted  ${parsed.type}  ${parsed.name}  [${parsed.layer}]: ${refreshed.diffs?.join(", ")}`);
    }
    const failed = e.resOpFailedEvent?.metadata;
    if (failed) o.reporter.warn(`failed: ${parseUrn(failed.urn).name}`);
    const diag = e.diagnosticEvent;
    if (diag && (diag.severity === "error" || diag.severity === "warning") && !diag.ephemeral) {
      const message = stripVTControlCharacters(diag.message).trim();
      summary.diagnostics.push({ severity: diag.severity, message, ...(diag.urn ? { urn: diag.urn } : {}) });
    }
  };
  const linked = linkedSignal(o.signal);
  const common = { onEvent, color: "never" as const, signal: linked.signal, ...(o.target ? { target: targetUrns(opened.stackName, o.target, o.targetComponents) } : {}) };
  try {
    if (operation === "preview") await opened.stack.preview({ ...common, diff: false });
    else if (operation === "up") await opened.stack.up(common);
    else if (operation === "refresh") await opened.stack.refresh(common);
    else await opened.stack.destroy(common);
  } catch (err) {
    summary.durationSeconds = (Date.now() - started) / 1000;
    if (o.signal?.aborted) {
      summary.result = "cancelled";
      throw new ProwOpsError("CANCELLED", `${operation} of stack ${opened.stackName} cancelled: the operations in flight were finished and the stack's lock released; run it again to continue.`, { cause: err });
    }
    summary.result = "failed";
    throw explainFailure(err, opened, operation, summary);
  } finally {
    linked.unlink();
  }
  summary.durationSeconds = (Date.now() - started) / 1000;
  return summary;
}

/**
 * A signal of its own for one engine command, aborted with `parent`: the automation API adds an
 * abort listener per command and never removes it, so a runbook's many ups on one signal would
 * pile them up (Node warns of a leak past ten).
 */
function linkedSignal(parent?: AbortSignal): { signal?: AbortSignal; unlink(): void } {
  if (!parent) return { unlink: () => undefined };
  const own = new AbortController();
  const abort = () => own.abort();
  if (parent.aborted) own.abort();
  else parent.addEventListener("abort", abort, { once: true });
  return { signal: own.signal, unlink: () => parent.removeEventListener("abort", abort) };
}

/** One sentence for a failed operation: a known cause, else the engine's own error lines. */
export function explainFailure(err: unknown, opened: Pick<OpenedStack, "stackName" | "backend">, operation: Operation, summary?: ChangeSummary): ProwOpsError {
  const diagnostics = summary?.diagnostics.map((d) => `${d.urn ?? ""} ${d.message}`).join("\n") ?? "";
  const text = `${diagnostics}\n${(err as Error)?.message ?? String(err)}`;
  const known = diagnose(text, { stack: opened.stackName, backend: opened.backend });
  if (known) return Object.assign(known, { cause: err });
  const lines = [...new Set([...(summary?.diagnostics.filter((d) => d.severity === "error").map((d) => d.message) ?? []), ...engineErrorLines(text)])];
  const detail = lines.length ? lines.slice(0, 5).join("\n  ") : ((err as Error)?.message ?? String(err)).split("\n")[0];
  return new ProwOpsError("ENGINE", `${operation} of stack ${opened.stackName} failed:\n  ${detail}`, { cause: err });
}

/** A table of changes per layer, for people. */
export function formatSummary(s: ChangeSummary): string {
  const ops = ["create", "update", "replace", "delete", "same"].filter((op) => Object.values(s.layers).some((l) => l[op]));
  const rows = Object.entries(s.layers)
    .sort(([a], [b]) => order(a) - order(b))
    .map(([layer, counts]) => `  ${layer.padEnd(18)}${ops.map((op) => String(counts[op] ?? 0).padStart(9)).join("")}`);
  const header = `  ${"layer".padEnd(18)}${ops.map((op) => op.padStart(9)).join("")}`;
  const changed = s.changed.length;
  const verdict = s.operation === "preview" ? (changed ? `${changed} change(s) to apply` : "no changes") : `${s.operation} ${s.result}: ${changed} change(s)`;
  return [`${s.operation} of stack ${s.stack} (${s.durationSeconds.toFixed(1)} s): ${verdict}`, ...(rows.length ? [header, ...rows] : [])].join("\n");
}

const order = (layer: string) => {
  const i = (LAYERS as readonly string[]).indexOf(layer);
  return i < 0 ? (layer === "providers" ? -1 : 99) : i;
};
