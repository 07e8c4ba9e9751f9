/**
 * The team's record of upgrades per stack (beside the state: `lifecycle/<stack>/upgrades.json`):
 * which placement each one left, so --rollback knows the last kept one and cleanup knows
 * which templates the rollback window still needs.
 */
import type { TeamStore } from "../team/store";
import type { Placement } from "./cluster-state";

export interface UpgradeRecord {
  runId: string;
  time: string;
  from: Placement;
  to: Placement;
  rollback?: boolean;
}

const key = (stack: string) => `lifecycle/${stack}/upgrades.json`;

export async function readHistory(store: TeamStore, stack: string): Promise<UpgradeRecord[]> {
  const text = await store.read(key(stack));
  return text ? (JSON.parse(text) as { upgrades: UpgradeRecord[] }).upgrades : [];
}

export async function recordUpgrade(store: TeamStore, stack: string, r: UpgradeRecord): Promise<void> {
  const all = (await readHistory(store, stack)).filter((u) => u.runId !== r.runId);
  await store.write(key(stack), JSON.stringify({ upgrades: [...all, r] }, null, 2));
}

export const samePlacement = (a: Placement | undefined, b: Placement | undefined): boolean =>
  Boolean(a && b) && (["version", "controlPlane", "workers", "infraNodes"] as const).every((k) => a?.[k] === b?.[k]);

/** The placement a rollback returns to: the one the last upgrade to the current placement came from. */
export function rollbackTarget(history: UpgradeRecord[], current: Placement): Placement | undefined {
  return [...history].reverse().find((u) => samePlacement(u.to, current))?.from;
}
