/**
 * One engine session for a command: the stack opened from the global options, and Ctrl-C
 * (or SIGTERM) turned into one clean cancel of the running operation. A second Ctrl-C stops
 * at once and says how to release the lock that may be left.
 */
import type { Context } from "../context";
import { withInterrupts } from "../interrupt";
import { type OpenedStack, openProjectStack } from "./workspace";

export interface SessionOptions {
  mirror?: string;
}

export async function withStack<T>(ctx: Context, o: SessionOptions, fn: (opened: OpenedStack, signal: AbortSignal) => Promise<T>): Promise<T> {
  const opened = await openProjectStack({
    projectDir: ctx.projectDir,
    stack: ctx.options.stack,
    backend: ctx.options.backend,
    fetch: o.mirror ? { mirror: o.mirror } : {},
  });
  const controller = new AbortController();
  return withInterrupts(
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
}
