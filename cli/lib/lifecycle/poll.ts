/** The life-cycle runbooks' waits: read the world until it holds, report changes, stop on Ctrl-C or at the deadline. */
import { ProwOpsError } from "../../../stacks/core/errors";

export interface PollOptions<T> {
  done: (value: T) => boolean;
  timeoutMs: number;
  signal: AbortSignal;
  intervalMs: number;
  /** The CANCELLED message on Ctrl-C. */
  cancelled: string;
  /** The TIMEOUT message, from the last value read. */
  timedOut: (value: T) => string;
  /** A progress line, reported when it differs from the last one. */
  progress?: (value: T) => string | undefined;
  report?: (text: string) => void;
}

export async function pollUntil<T>(read: () => Promise<T>, o: PollOptions<T>): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  let last: string | undefined;
  for (;;) {
    const value = await read();
    if (o.done(value)) return value;
    const line = o.progress?.(value);
    if (line !== undefined && line !== last) o.report?.(line);
    last = line;
    if (o.signal.aborted) throw new ProwOpsError("CANCELLED", o.cancelled);
    if (Date.now() > deadline) throw new ProwOpsError("TIMEOUT", o.timedOut(value));
    await new Promise((r) => setTimeout(r, o.intervalMs));
  }
}
