/**
 * Source addresses an operator holds open on the API load balancer for a while (`access
 * --temporary-ip`, and a bastion swap's own /32), listed beside the state
 * (`access/<stack>/temporary-cidrs.json`) so that every prow-ops run of every maintainer
 * declares them while they are listed (stacks/core/access-env.ts) and the next start after a
 * crash knows they are there.
 */
import { hostname } from "node:os";
import ipaddr from "ipaddr.js";
import { ACCESS_ENV } from "../../../stacks/core/access-env";
import { UsageError } from "../../../stacks/core/errors";
import type { TeamStore } from "../team/store";
import { whoami } from "../runbook/lock";
import { processAlive } from "../process-alive";

export interface TemporaryCidr {
  cidr: string;
  user: string;
  host: string;
  pid: number;
  since: string;
  /** Held by a runbook run: only that run (or its --resume) removes it. */
  runId?: string;
}

const key = (stack: string) => `access/${stack}/temporary-cidrs.json`;

export async function listTemporary(store: TeamStore, stack: string): Promise<TemporaryCidr[]> {
  const text = await store.read(key(stack));
  return text ? (JSON.parse(text) as TemporaryCidr[]) : [];
}

async function save(store: TeamStore, stack: string, entries: TemporaryCidr[]): Promise<void> {
  if (entries.length) await store.write(key(stack), `${JSON.stringify(entries, null, 2)}\n`);
  else await store.remove(key(stack));
}

export async function recordTemporary(store: TeamStore, stack: string, cidr: string, runId?: string): Promise<void> {
  const entries = (await listTemporary(store, stack)).filter((e) => e.cidr !== cidr);
  entries.push({ cidr, ...whoami(), pid: process.pid, since: new Date().toISOString(), ...(runId ? { runId } : {}) });
  await save(store, stack, entries);
}

export async function dropTemporary(store: TeamStore, stack: string, cidrs: string[]): Promise<void> {
  await save(
    store,
    stack,
    (await listTemporary(store, stack)).filter((e) => !cidrs.includes(e.cidr)),
  );
}


/** Entries a crashed command of this machine left (its process is gone); a runbook's are left to its --resume. */
export const leftByCrash = (entries: TemporaryCidr[]) => entries.filter((e) => e.host === hostname() && !e.runId && !processAlive(e.pid));

export const describe = (e: TemporaryCidr) => `${e.cidr} (added by ${e.user}@${e.host}, pid ${e.pid}, at ${e.since}${e.runId ? `, runbook run ${e.runId}` : ""})`;

/** Hands the listed addresses to the program (it adds them to allowedCIDRs). */
export function declareTemporary(entries: TemporaryCidr[]): void {
  process.env[ACCESS_ENV.temporaryCidrs] = entries.map((e) => e.cidr).join(",");
}

/** "203.0.113.10" or "203.0.113.10/32" → "203.0.113.10/32"; anything else is refused. */
export function singleAddress(value: string): string {
  const address = value.trim().replace(/\/32$/, "");
  if (!ipaddr.IPv4.isValidFourPartDecimal(address)) throw new UsageError(`${JSON.stringify(value)} is not one IPv4 address (expected A.B.C.D or A.B.C.D/32)`);
  return `${address}/32`;
}

/** The operator's public address, as a plain-text "what is my IP" service answers it. */
export async function detectPublicAddress(url: string): Promise<string> {
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    text = (await res.text()).trim();
  } catch (err) {
    throw new UsageError(`cannot learn this machine's public address from ${url} (${(err as Error).message}): give it with --temporary-ip A.B.C.D/32`);
  }
  try {
    return singleAddress(text);
  } catch {
    throw new UsageError(`${url} did not answer with one IPv4 address (got ${JSON.stringify(text.slice(0, 60))}): give it with --temporary-ip A.B.C.D/32`);
  }
}
