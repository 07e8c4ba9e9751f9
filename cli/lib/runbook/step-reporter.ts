/**
 * How a runbook's steps are shown: on a terminal a live step list (the running step's line
 * is rewritten with its outcome and duration), without one plain timestamped lines, and with
 * --json one JSON line per event on stdout.
 */
import type { Reporter } from "../reporter";

export type StepStatus = "running" | "done" | "skipped" | "failed" | "would-run" | "interrupted";

const SYMBOL: Record<StepStatus, string> = { running: "…", done: "✔", skipped: "↷", failed: "✖", "would-run": "○", interrupted: "■" };
const WORD: Record<StepStatus, string> = { running: "running", done: "done", skipped: "already done", failed: "FAILED", "would-run": "would run", interrupted: "interrupted" };

export interface StepReporter {
  step(id: string, title: string, status: StepStatus, durationMs?: number, detail?: string): void;
}

export function stepReporter(reporter: Reporter, out: NodeJS.WritableStream & { isTTY?: boolean } = reporter.stream): StepReporter {
  const live = out.isTTY === true && !reporter.json;
  let openLine = false;
  return {
    step(id, title, status, durationMs, detail) {
      reporter.event({ event: "step", id, status, ...(durationMs === undefined ? {} : { durationMs }), ...(detail ? { detail } : {}) });
      const took = durationMs === undefined ? "" : `  ${(durationMs / 1000).toFixed(1)} s`;
      const text = `${SYMBOL[status]} ${id.padEnd(24)} ${title}${status === "running" ? "" : `  (${WORD[status]}${took})`}`;
      if (live) {
        out.write(`${openLine && status !== "running" ? "\r\u001b[K" : openLine ? "\n" : ""}${reporter.style(status === "failed" ? "red" : status === "running" ? "cyan" : "reset", text)}${status === "running" ? "" : "\n"}`);
        openLine = status === "running";
      } else if (!reporter.json || status !== "running") {
        out.write(`${new Date().toISOString()} ${text}\n`);
      }
      if (detail && status !== "running") reporter.info(`    ${detail.split("\n").join("\n    ")}`);
    },
  };
}
