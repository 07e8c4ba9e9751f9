/**
 * The bastions the team has reached, beside the state (`access/<stack>/bastions.json`): the
 * current floating IP and each bastion's pinned host keys. A key is pinned once — on first
 * contact after the maintainer compared its fingerprint, or by `bastion swap` for the bastion
 * it has just created — and every later connection must present it.
 */
import { spawnSync } from "node:child_process";
import { ProwOpsError } from "../../../stacks/core/errors";
import type { TeamStore } from "../team/store";
import { whoami } from "../runbook/lock";

export interface BastionRecord {
  /** The floating IP of the bastion in use. */
  current?: string;
  /** Host key lines (`ssh-ed25519 AAAA…`) per floating IP. */
  hostKeys: Record<string, string[]>;
  updated?: string;
  by?: string;
}

const key = (stack: string) => `access/${stack}/bastions.json`;

export async function readBastions(store: TeamStore, stack: string): Promise<BastionRecord> {
  const text = await store.read(key(stack));
  return text ? (JSON.parse(text) as BastionRecord) : { hostKeys: {} };
}

/** Pins `keys` for `ip` (replacing what was pinned for that address) and makes it the current bastion. */
export async function pinBastion(store: TeamStore, stack: string, ip: string, keys: string[]): Promise<void> {
  const record = await readBastions(store, stack);
  const { user, host } = whoami();
  const next: BastionRecord = { current: ip, hostKeys: { ...record.hostKeys, [ip]: keys }, updated: new Date().toISOString(), by: `${user}@${host}` };
  await store.write(key(stack), `${JSON.stringify(next, null, 2)}\n`);
}

export const knownHostsText = (ip: string, keys: string[]) => keys.map((k) => `${ip} ${k}\n`).join("");

/** The host keys a bastion presents now (ssh-keyscan, through `launcher` when given); [] when it does not answer. */
export function scanHostKeys(ip: string, timeoutS = 5, launcher: string[] = []): string[] {
  const argv = [...launcher, "ssh-keyscan", "-T", String(timeoutS), ip];
  const res = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: (timeoutS + 5) * 1000 });
  if (res.error) throw new ProwOpsError("SETUP", `ssh-keyscan could not run (${res.error.message}): install openssh-client`);
  return (res.stdout ?? "")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(" ").slice(1, 3).join(" "))
    .sort();
}

/** SHA256 fingerprints, as `ssh-keygen -lf` and the bastion's console log print them. */
export function fingerprints(ip: string, keys: string[]): string[] {
  const res = spawnSync("ssh-keygen", ["-lf", "-"], { input: knownHostsText(ip, keys), encoding: "utf8" });
  return (res.stdout ?? "").split("\n").filter(Boolean);
}
