/**
 * One runbook at a time per stack, for the whole team: a lock record in the team store
 * (beside the state), taken with a create-if-absent write and held for the whole run. A
 * second run is refused naming the holder; a crashed run's lock is reported with the
 * command that breaks it.
 */
import { randomBytes } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { RefusedError } from "../../../stacks/core/errors";
import type { TeamStore } from "../team/store";
import { processAlive } from "../process-alive";

export interface LockHolder {
  runbook: string;
  runId: string;
  user: string;
  host: string;
  pid: number;
  since: string;
}

export const lockKey = (stack: string) => `locks/${stack}.json`;

/** Everyday commands that take the same lock for their whole run (nothing to resume). */
const ENGINE_COMMANDS = ["up", "refresh", "destroy"];

/** A run's id: its start time and a random suffix (journal and audit keys sort by it). */
export const newRunId = () => `${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;

export const whoami = () => ({ user: userInfo().username, host: hostname() });


/**
 * Takes the stack's lock. A lock whose holder was a process of this machine that is gone
 * (killed, crashed) is taken over, and `onTakeover` told whose it was; anyone else's is refused.
 */
export async function acquireRunbookLock(store: TeamStore, stack: string, runbook: string, runId: string, onTakeover?: (previous: Partial<LockHolder>) => void): Promise<() => Promise<void>> {
  const holder: LockHolder = { runbook, runId, ...whoami(), pid: process.pid, since: new Date().toISOString() };
  let created = await store.create(lockKey(stack), JSON.stringify(holder, null, 2));
  if (!created) {
    const previous = JSON.parse((await store.read(lockKey(stack))) ?? "{}") as Partial<LockHolder>;
    if (previous.host === holder.host && !processAlive(previous.pid)) {
      await store.remove(lockKey(stack));
      created = await store.create(lockKey(stack), JSON.stringify(holder, null, 2));
      if (created) onTakeover?.(previous);
    }
  }
  if (!created) {
    const current = JSON.parse((await store.read(lockKey(stack))) ?? "{}") as Partial<LockHolder>;
    const engineCommand = ENGINE_COMMANDS.includes(current.runbook ?? "");
    throw new RefusedError(
      `stack ${stack} is locked by ${engineCommand ? "" : "runbook "}${current.runbook ?? "?"} (run ${current.runId ?? "?"}) of ${current.user ?? "?"}@${current.host ?? "?"} (pid ${current.pid ?? "?"}) since ${current.since ?? "?"}. ` +
        `Wait for it to end; if that run crashed, break the lock with \`prow-ops unlock --stack ${stack}\`${engineCommand ? "" : " and continue it with --resume"}.`,
    );
  }
  return async () => {
    const current = JSON.parse((await store.read(lockKey(stack))) ?? "{}") as Partial<LockHolder>;
    if (current.runId === runId) await store.remove(lockKey(stack));
  };
}
