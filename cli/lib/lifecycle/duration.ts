/** Durations as Kubernetes writes them (metav1.Duration: "10m", "15s", "1h30m"). */
import { UsageError } from "../../../stacks/core/errors";

const UNIT: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const PATTERN = /^(\d+(?:\.\d+)?(?:h|ms|m|s))+$/;

/** Milliseconds, or undefined when `text` is not such a duration. */
export function durationMs(text: string | undefined): number | undefined {
  if (!text || !PATTERN.test(text)) return undefined;
  return [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)].reduce((sum, [, n, u]) => sum + Number(n) * UNIT[u], 0);
}

/** A duration typed on the command line; bad input names the option and an example. */
export function parseDuration(option: string, text: string): string {
  if (durationMs(text) === undefined) throw new UsageError(`${option} ${JSON.stringify(text)} is not a duration (expected a number with h, m or s, such as 10m or 1h30m)`);
  return text;
}
