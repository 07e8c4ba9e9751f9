/**
 * The one path a command holds to the clusters behind the bastion: a kubeconfig file per
 * cluster at a stable, private place (so the providers' inputs stay the same from run to
 * run), whose server is either the bastion tunnel's local port or — during a bastion swap —
 * the API load balancer itself. A session record lets later commands reuse a path that
 * `prow-ops access` holds open, and lets the next start reap what a killed one left.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "js-yaml";
import type { ClusterRole } from "../../../config/schema";
import { connect } from "../../../stacks/core/kube-client";
import { kubeconfigThroughTunnel, openTunnel, type Tunnel } from "./tunnel";
import { processAlive } from "../process-alive";

export interface PathSpec {
  stack: string;
  /** Each cluster behind the bastion with its own kubeconfig (contents; server = the API load balancer). */
  kubeconfigs: Partial<Record<ClusterRole, string>>;
  user: string;
  identityFile?: string;
}

export type Route = { via: "bastion"; bastionIP: string; knownHosts: string } | { via: "direct" };

interface SessionRecord {
  ownerPid: number;
  sshPid?: number;
  localPort?: number;
  route: "bastion" | "direct";
  bastionIP?: string;
}

/** A private folder for the stack's access files: tmpfs when there is one (the kubeconfigs hold credentials). */
export function runtimeDir(stack: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.PROW_OPS_RUNTIME_DIR ?? [env.XDG_RUNTIME_DIR, "/dev/shm"].find((d) => d && existsSync(d)) ?? tmpdir();
  const dir = join(base, `prow-ops-${process.getuid?.() ?? "user"}`, stack);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export const kubeconfigFile = (stack: string, role: ClusterRole) => join(runtimeDir(stack), `${role}.kubeconfig`);
const sessionFile = (stack: string) => join(runtimeDir(stack), "session.json");


/** Whether `pid` is still an ssh forwarding `port` (not a recycled pid of something else). */
const isOurSsh = (pid: number, port: number | undefined) => {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return argv[0].endsWith("ssh") && argv.some((a) => a.startsWith(`127.0.0.1:${port}:`));
  } catch {
    return false;
  }
};

export interface ClusterPath {
  readonly stack: string;
  readonly route: Route;
  /** Whether this process opened it (and closes it) or reuses another command's. */
  readonly owned: boolean;
  readonly files: Partial<Record<ClusterRole, string>>;
  /** Moves every cluster's kubeconfig to another route (the tunnel is closed or opened as needed). */
  switchTo(route: Route): Promise<void>;
  /** Whether the cluster answers through the current route within the timeout. */
  probe(role: ClusterRole, timeoutMs?: number): Promise<boolean>;
  /** Resolves if the tunnel this process holds ends by itself (the bastion went away, the network dropped). */
  readonly lost: Promise<string>;
  close(): Promise<void>;
}

/**
 * A path another live command holds for this stack, if any. A record whose owner is gone is
 * cleaned up here: its ssh is killed (when the kernel did not already) and its files removed.
 */
export function livePath(stack: string, roles: ClusterRole[]): ClusterPath | undefined {
  const file = sessionFile(stack);
  if (!existsSync(file)) return undefined;
  const record = JSON.parse(readFileSync(file, "utf8")) as SessionRecord;
  const files = Object.fromEntries(roles.map((r) => [r, kubeconfigFile(stack, r)]));
  if (processAlive(record.ownerPid) && roles.every((r) => existsSync(files[r] as string))) {
    const route: Route = record.route === "bastion" ? { via: "bastion", bastionIP: record.bastionIP ?? "", knownHosts: "" } : { via: "direct" };
    return { stack, route, owned: false, files, switchTo: async () => undefined, probe: (role, t) => probeFile(files[role], t), lost: new Promise(() => undefined), close: async () => undefined };
  }
  reap(stack, record);
  return undefined;
}

function reap(stack: string, record: SessionRecord): void {
  if (record.sshPid && isOurSsh(record.sshPid, record.localPort)) process.kill(record.sshPid, "SIGKILL");
  for (const role of ["management", "workload"] as const) rmSync(kubeconfigFile(stack, role), { force: true });
  rmSync(sessionFile(stack), { force: true });
}

async function probeFile(file: string | undefined, timeoutMs = 5000): Promise<boolean> {
  if (!file || !existsSync(file)) return false;
  try {
    return await (await connect({ kubeconfig: file })).probe(timeoutMs);
  } catch {
    return false;
  }
}

/** The workload API load balancer a kubeconfig names (where the bastion forwards to). It is YAML, or JSON as a stack secret keeps it. */
export function apiTarget(kubeconfig: string): { host: string; port: number } {
  const doc = load(kubeconfig) as { clusters?: Array<{ cluster?: { server?: unknown } }> } | undefined;
  const server = (doc?.clusters ?? []).map((c) => c?.cluster?.server).find((s): s is string => typeof s === "string" && s.startsWith("https://"));
  if (!server) throw new Error("the kubeconfig names no https server");
  const url = new URL(server);
  return { host: url.hostname, port: Number(url.port || 443) };
}

export async function openPath(spec: PathSpec, route: Route): Promise<ClusterPath> {
  const roles = Object.keys(spec.kubeconfigs) as ClusterRole[];
  const files = Object.fromEntries(roles.map((r) => [r, kubeconfigFile(spec.stack, r)])) as Partial<Record<ClusterRole, string>>;
  const targets = new Set(roles.map((r) => JSON.stringify(apiTarget(spec.kubeconfigs[r] as string))));
  if (targets.size > 1) throw new Error(`the clusters reached through the bastion (${roles.join(", ")}) name different API servers in their kubeconfigs; list only those the bastion fronts in kubernetes.bastion.clusters`);
  let tunnel: Tunnel | undefined;
  let current: Route = route;
  let reportLost: (why: string) => void = () => undefined;
  const lost = new Promise<string>((r) => {
    reportLost = r;
  });

  const write = (record: SessionRecord) => {
    for (const role of roles) {
      const original = spec.kubeconfigs[role] as string;
      writeFileSync(files[role] as string, tunnel ? kubeconfigThroughTunnel(original, tunnel.localPort) : original, { mode: 0o600 });
    }
    writeFileSync(sessionFile(spec.stack), JSON.stringify(record), { mode: 0o600 });
  };
  const closeTunnel = async () => {
    const t = tunnel;
    tunnel = undefined;
    await t?.close();
  };
  const switchTo = async (next: Route) => {
    await closeTunnel();
    if (next.via === "bastion") {
      const opened = await openTunnel({ bastionIP: next.bastionIP, user: spec.user, identityFile: spec.identityFile, knownHosts: next.knownHosts, target: apiTarget(spec.kubeconfigs[roles[0]] as string) });
      tunnel = opened;
      opened.process.once("exit", (code, signal) => {
        if (tunnel === opened) reportLost(`the ssh tunnel through ${next.bastionIP} ended (${signal ?? `exit ${code}`})`);
      });
    }
    current = next;
    write({ ownerPid: process.pid, route: next.via, ...(tunnel ? { sshPid: tunnel.process.pid, localPort: tunnel.localPort, bastionIP: next.via === "bastion" ? next.bastionIP : undefined } : {}) });
  };
  await switchTo(route);
  return {
    stack: spec.stack,
    get route() {
      return current;
    },
    owned: true,
    files,
    switchTo,
    probe: (role, t) => probeFile(files[role], t),
    lost,
    close: async () => {
      await closeTunnel();
      for (const f of Object.values(files)) rmSync(f as string, { force: true });
      rmSync(sessionFile(spec.stack), { force: true });
    },
  };
}
