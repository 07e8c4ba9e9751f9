/**
 * The journal of one run: JSON lines in the team store (`runs/<stack>/<runId>.jsonl`), one
 * record per event — start (runbook, options, who), each step's outcome with its duration
 * and outputs, end. It never holds a secret: messages pass through the mask. --resume reads
 * it back to continue the last unfinished run with the same options and outputs.
 */
import { mask } from "../mask";
import type { TeamStore } from "../team/store";

export type JournalRecord =
  | { type: "start"; time: string; runbook: string; stack: string; runId: string; user: string; host: string; options: Record<string, unknown>; resumedFrom?: string }
  | { type: "step"; time: string; id: string; status: "done" | "skipped" | "failed" | "would-run" | "interrupted"; durationMs: number; outputs?: Record<string, unknown>; message?: string }
  | { type: "end"; time: string; outcome: "succeeded" | "failed" | "interrupted" | "dry-run"; message?: string };

export class Journal {
  private readonly lines: string[] = [];

  constructor(
    private readonly store: TeamStore,
    readonly key: string,
  ) {}

  static key = (stack: string, runId: string) => `runs/${stack}/${runId}.jsonl`;

  async append(record: JournalRecord): Promise<void> {
    this.lines.push(mask(JSON.stringify(record)));
    await this.store.write(this.key, `${this.lines.join("\n")}\n`);
  }

  static parse(text: string): JournalRecord[] {
    return text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as JournalRecord);
  }

  /** The last run of this runbook on this stack that did not end in success, if any. */
  static async unfinished(store: TeamStore, stack: string, runbook: string): Promise<{ runId: string; records: JournalRecord[] } | undefined> {
    const keys = await store.list(`runs/${stack}`);
    for (const key of keys.reverse()) {
      const records = Journal.parse((await store.read(key)) ?? "");
      const start = records.find((r) => r.type === "start");
      if (start?.type !== "start" || start.runbook !== runbook) continue;
      const end = records.find((r) => r.type === "end");
      if (end?.type === "end" && (end.outcome === "succeeded" || end.outcome === "dry-run")) return undefined;
      return { runId: start.runId, records };
    }
    return undefined;
  }
}
