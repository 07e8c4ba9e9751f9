/**
 * `prow-ops bastion swap [--image NAME]`: the reference README's "Updating the Bastion" as
 * steps with a check after each, under one invariant checked before and after every step —
 * this machine always holds at least one verified path to the API: through the bastion, or
 * directly from its own /32 on the load balancer. The /32 is added and verified before the
 * old bastion goes, and removed only once the new bastion's path is verified. Without
 * --image it replaces the bastion with a new server of the same image (like a reboot).
 */
import { spawnSync } from "node:child_process";
import type { ClusterRole, StackConfig } from "../../config/schema";
import { ProwOpsError, RefusedError, UsageError } from "../../stacks/core/errors";
import { fingerprints, knownHostsText, pinBastion, readBastions, scanHostKeys } from "../lib/access/bastions";
import { apiTarget, type ClusterPath, openPath, runtimeDir } from "../lib/access/cluster-path";
import { kubeconfigThroughTunnel, openTunnel, type Tunnel } from "../lib/access/tunnel";
import { connect } from "../../stacks/core/kube-client";
import { allows, applyClusterLayer, directReachable, managementKube, type OscStatus, readOsc, waitDirect, waitForOsc } from "../lib/access/load-balancer";
import { declareTemporary, detectPublicAddress, dropTemporary, listTemporary, recordTemporary, singleAddress } from "../lib/access/temporary-cidrs";
import { type AccessSetup, accessSetup, bastionAddress, holdPath, pinnedKnownHosts, rolesBehindBastion } from "../lib/access/with-access";
import { DEFAULT_PUBLIC_ADDRESS_URL } from "../lib/access/access-command";
import type { Context } from "../lib/context";
import { type OpenedStack, openProjectStack } from "../lib/engine/workspace";
import type { RunContext, Runbook, Step } from "../lib/runbook/types";
import { StackFile } from "../lib/stack-file";
import { toolPath } from "../lib/tools/catalog";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const SOURCE = "Updating the Bastion";

export interface SwapContext extends RunContext {
  cli: Context;
  opened: OpenedStack;
  setup: AccessSetup;
  path: ClusterPath;
  /** The cluster behind the bastion that the probes ask. */
  role: ClusterRole;
}

export interface SwapOptions {
  image?: string;
  operatorIp?: string;
}

const config = (c: SwapContext): StackConfig => StackFile.load(c.cli.stackFile).config();
const oldBastion = (c: SwapContext) => ({ ip: c.outputs.oldBastionIP as string | undefined, keys: (c.outputs.oldHostKeys as string[] | undefined) ?? [] });
const cidrOf = (c: SwapContext) => String(c.outputs.operatorCidr);
const targetImage = (c: SwapContext) => String(c.options.image ?? c.outputs.oldImage);

async function status(c: SwapContext): Promise<OscStatus & { specBastionEnabled?: boolean }> {
  const osc = await readOsc(await managementKube(c.cli), config(c));
  const spec = (osc?.spec ?? {}) as { bastion?: { enabled?: boolean } };
  return { ...((osc?.status ?? {}) as OscStatus), specBastionEnabled: spec.bastion ? spec.bastion.enabled !== false : false };
}

/** A bastion other than the one the swap started from: another floating IP, or the same one presenting other host keys. */
async function replaced(c: SwapContext): Promise<string | undefined> {
  const ip = (await status(c)).bastion?.floatingIP;
  if (!ip) return undefined;
  const old = oldBastion(c);
  if (ip !== old.ip) return ip;
  const now = scanHostKeys(ip);
  return now.length && JSON.stringify(now) !== JSON.stringify(old.keys) ? ip : undefined;
}

/** Moves this run's path to the load balancer directly (it survives the bastion going away). */
async function useDirect(c: SwapContext): Promise<void> {
  if (c.path.route.via !== "direct") await c.path.switchTo({ via: "direct" });
}

async function useBastion(c: SwapContext, ip: string): Promise<void> {
  if (c.path.route.via === "bastion" && c.path.route.bastionIP === ip) return;
  await c.path.switchTo({ via: "bastion", bastionIP: ip, knownHosts: await pinnedKnownHosts(c.cli, c.setup, ip, { acceptNew: false }) });
}

/** Whether the bastion at `ip` forwards to the API with its pinned key (a probe tunnel of its own; the run's path is left as it is). */
async function bastionWorks(c: SwapContext, ip: string): Promise<boolean> {
  const keys = (await readBastions(c.setup.store, c.cli.options.stack)).hostKeys[ip];
  if (!keys?.length) return false;
  const knownHosts = join(runtimeDir(c.cli.options.stack), "probe_known_hosts");
  writeFileSync(knownHosts, knownHostsText(ip, keys), { mode: 0o600 });
  const kubeconfig = c.setup.spec.kubeconfigs[c.role] as string;
  let tunnel: Tunnel | undefined;
  try {
    tunnel = await openTunnel({ bastionIP: ip, user: c.setup.spec.user, identityFile: c.setup.spec.identityFile, knownHosts, target: apiTarget(kubeconfig), timeoutMs: 10_000 });
    return await (await connect({ inline: kubeconfigThroughTunnel(kubeconfig, tunnel.localPort) })).probe(5000);
  } catch {
    return false;
  } finally {
    await tunnel?.close();
  }
}

/** The API load balancer's name as CAPO gives it (when the status cannot be read). */
const loadBalancerName = (c: StackConfig) => `k8s-clusterapi-cluster-${c.cluster.namespace}-${c.cluster.name}-kubeapi`;

/** The break-glass command, with the listener id when the openstack CLI can find it. */
function breakGlass(lbName: string): string {
  let id = "<listener id>";
  if (toolPath("openstack") !== "openstack") {
    const res = spawnSync(toolPath("openstack"), ["loadbalancer", "listener", "list", "--loadbalancer", lbName, "-f", "value", "-c", "id"], { encoding: "utf8", timeout: 30_000 });
    if (res.status === 0 && res.stdout.trim()) id = res.stdout.trim().split("\n")[0];
  }
  return `If no path works any more (locked out), open the listener to every source with:\n  openstack loadbalancer listener unset --allowed-cidrs ${id}${id === "<listener id>" ? `\n  (find the id: openstack loadbalancer listener list --loadbalancer ${lbName} -f value -c id)` : ""}\nthen resume the run (below): it puts the allowed sources back through the stack.`;
}

const steps: Step<SwapContext>[] = [
  {
    id: "current-bastion",
    title: "Note the current bastion (floating IP, pinned host key) and this machine's address",
    source: SOURCE,
    check: async (c) => Boolean(c.outputs.oldBastionIP && c.outputs.operatorCidr),
    run: async (c) => {
      const cfg = config(c);
      const ip = (await status(c)).bastion?.floatingIP;
      if (!ip) throw new RefusedError(`the OpenStackCluster ${cfg.cluster.name} reports no bastion: there is nothing to swap (enable it with prow-ops config set cluster.bastion.enabled true, then prow-ops up --target cluster)`);
      if (!cfg.cluster.bastion.enabled) throw new RefusedError("the stack file says cluster.bastion.enabled: false while a bastion runs; make them agree first");
      const keys = (await readBastions(c.setup.store, c.cli.options.stack)).hostKeys[ip] ?? [];
      const given = c.options.operatorIp as string | undefined;
      const operatorCidr = given ? singleAddress(given) : await detectPublicAddress(cfg.kubernetes?.publicAddressUrl ?? DEFAULT_PUBLIC_ADDRESS_URL);
      return { oldBastionIP: ip, oldHostKeys: keys, oldImage: cfg.cluster.bastion.image, operatorCidr };
    },
  },
  {
    id: "allow-operator-ip",
    title: "Add this machine's /32 to the API load balancer's allowedCIDRs (through the stack)",
    source: SOURCE,
    check: async (c) => (await listTemporary(c.setup.store, c.cli.options.stack)).some((e) => e.cidr === cidrOf(c)) && allows(await status(c), cidrOf(c)),
    run: async (c) => {
      await recordTemporary(c.setup.store, c.cli.options.stack, cidrOf(c), c.runId);
      await applyClusterLayer(c.cli, c.opened, c.signal);
      await waitForOsc(await managementKube(c.cli), config(c), `${cidrOf(c)} among the allowed sources`, (s) => allows(s, cidrOf(c)), { signal: c.signal });
      return undefined;
    },
  },
  {
    id: "verify-direct",
    title: "Verify direct access to the API from this machine (no bastion)",
    source: SOURCE,
    check: (c) => directReachable(c.cli),
    run: async (c) => {
      await waitDirect(c.cli, true, { signal: c.signal });
      return undefined;
    },
  },
  {
    id: "disable-bastion",
    title: "Disable the bastion (cluster.bastion.enabled: false) and wait until it is deleted",
    source: SOURCE,
    check: async (c) => {
      const s = await status(c);
      return (!s.specBastionEnabled && !s.bastion) || Boolean(await replaced(c));
    },
    run: async (c) => {
      if (!(await directReachable(c.cli))) throw new RefusedError("not disabling the bastion: direct access from this machine is not verified");
      await useDirect(c);
      StackFile.load(c.cli.stackFile).update([[["cluster", "bastion", "enabled"], false]]);
      await applyClusterLayer(c.cli, c.opened, c.signal);
      await waitForOsc(await managementKube(c.cli), config(c), "no bastion", (s) => !s.bastion, { signal: c.signal });
      return undefined;
    },
  },
  {
    id: "enable-new-bastion",
    title: "Set the bastion image and enable it; wait for the new bastion's floating IP",
    source: SOURCE,
    check: async (c) => {
      const b = config(c).cluster.bastion;
      return b.enabled && b.image === targetImage(c) && Boolean(await replaced(c));
    },
    run: async (c) => {
      await useDirect(c);
      StackFile.load(c.cli.stackFile).update([
        [["cluster", "bastion", "image"], targetImage(c)],
        [["cluster", "bastion", "enabled"], true],
      ]);
      await applyClusterLayer(c.cli, c.opened, c.signal);
      const s = await waitForOsc(await managementKube(c.cli), config(c), "a bastion with a floating IP", (st) => Boolean(st.bastion?.floatingIP), { signal: c.signal });
      return { newBastionIP: s.bastion?.floatingIP };
    },
    observe: async (c) => ({ newBastionIP: await replaced(c) }),
  },
  {
    id: "verify-new-bastion",
    title: "Pin the new bastion's host key and verify access through it",
    source: SOURCE,
    check: async (c) => {
      const ip = (await status(c)).bastion?.floatingIP;
      const record = await readBastions(c.setup.store, c.cli.options.stack);
      return Boolean(ip && record.current === ip && JSON.stringify(record.hostKeys[ip]) !== JSON.stringify(oldBastion(c).keys) && (await bastionWorks(c, ip)));
    },
    run: async (c) => {
      const ip = (await status(c)).bastion?.floatingIP;
      if (!ip) throw new ProwOpsError("ACCESS", "the OpenStackCluster reports no bastion any more");
      // The only place a changed key is accepted: the API itself (reached directly, its
      // certificate verified) just reported this address as the bastion CAPO created.
      const keys = scanHostKeys(ip);
      if (!keys.length) throw new ProwOpsError("ACCESS", `the new bastion ${ip} does not answer on ssh yet`);
      c.reporter.info(`pinning the new bastion ${ip}:\n${fingerprints(ip, keys).map((f) => `  ${f}`).join("\n")}`);
      await pinBastion(c.setup.store, c.cli.options.stack, ip, keys);
      await useBastion(c, ip);
      if (!(await c.path.probe(c.role, 10_000))) throw new ProwOpsError("ACCESS", `the API does not answer through the new bastion ${ip}; this machine's /32 stays, so direct access remains`);
      return { newBastionIP: ip };
    },
  },
  {
    id: "remove-operator-ip",
    title: "Remove this machine's /32 again (through the stack)",
    source: SOURCE,
    check: async (c) => !(await listTemporary(c.setup.store, c.cli.options.stack)).some((e) => e.cidr === cidrOf(c)) && !allows(await status(c), cidrOf(c)),
    run: async (c) => {
      const ip = (await status(c)).bastion?.floatingIP;
      // Never before the new bastion's path is verified: the /32 is the only other way in.
      if (!ip || !(await bastionWorks(c, ip))) throw new RefusedError("not removing this machine's /32: the path through the new bastion is not verified");
      await useBastion(c, ip);
      await dropTemporary(c.setup.store, c.cli.options.stack, [cidrOf(c)]);
      await applyClusterLayer(c.cli, c.opened, c.signal);
      await waitForOsc(await managementKube(c.cli), config(c), `${cidrOf(c)} no longer allowed`, (s) => !allows(s, cidrOf(c)), { signal: c.signal });
      return undefined;
    },
  },
  {
    id: "verify-final",
    title: "Verify: no direct access from this machine any more; the bastion path works",
    source: SOURCE,
    check: async (c) => !(await directReachable(c.cli)) && (await c.path.probe(c.role, 10_000)),
    run: async (c) => {
      await waitDirect(c.cli, false, { timeoutMs: 60_000, signal: c.signal });
      return undefined;
    },
  },
];

/** The path the run starts on: through the current bastion, else directly (a resumed swap whose bastion is gone). */
async function startingPath(cli: Context, setup: AccessSetup): Promise<ClusterPath> {
  let bastionError: unknown;
  try {
    const ip = await bastionAddress(cli, setup);
    const path = await openPath(setup.spec, { via: "bastion", bastionIP: ip, knownHosts: await pinnedKnownHosts(cli, setup, ip) });
    if (await path.probe(Object.keys(setup.spec.kubeconfigs)[0] as ClusterRole, 10_000)) return path;
    await path.close();
  } catch (err) {
    bastionError = err;
  }
  const direct = await openPath(setup.spec, { via: "direct" });
  if (await direct.probe(Object.keys(setup.spec.kubeconfigs)[0] as ClusterRole, 5000)) return direct;
  await direct.close();
  throw new ProwOpsError("ACCESS", `no path to the API: not through the bastion${bastionError ? ` (${(bastionError as Error).message})` : ""}, not directly.\n${breakGlass(loadBalancerName(setup.config))}`);
}

export function bastionSwap(cli: Context, o: SwapOptions, variant: { steps?: Step<SwapContext>[]; invariant?: boolean } = {}): Runbook<SwapContext> {
  if (o.image !== undefined && !o.image.trim()) throw new UsageError("--image needs an image name (as in openstack image list)");
  if (o.operatorIp) singleAddress(o.operatorIp);
  let restore = () => undefined as void;
  const rb: Runbook<SwapContext> = {
    name: "bastion-swap",
    command: "bastion swap",
    title: "Replace the bastion without ever losing the path to the API",
    steps: variant.steps ?? steps,
    tools: ["ssh"],
    confirmationWord: async () => StackFile.load(cli.stackFile).config().cluster.name,
    context: async (base) => {
      const cfg = StackFile.load(cli.stackFile).config();
      if (!cfg.kubernetes?.bastion) throw new UsageError(`stack ${cli.options.stack} sets no kubernetes.bastion: bastion swap works on the path through the bastion (see README, "Access")`);
      const roles = rolesBehindBastion(cfg);
      const opened = await openProjectStack({ projectDir: cli.projectDir, stack: cli.options.stack, backend: cli.options.backend });
      const setup = await accessSetup(cli, roles, opened);
      declareTemporary(await listTemporary(setup.store, cli.options.stack));
      const path = await startingPath(cli, setup);
      restore = holdPath(path);
      return { ...base, cli, opened, setup, path, role: roles.includes("workload") ? "workload" : roles[0] };
    },
    invariant:
      variant.invariant === false
        ? undefined
        : async (c) => {
            if (await c.path.probe(c.role, 5000)) return undefined;
            if (await directReachable(c.cli, 3000)) return undefined;
            return `this machine has no working path to the API (neither ${c.path.route.via === "bastion" ? `through the bastion ${c.path.route.bastionIP}` : "through a bastion"} nor directly)`;
          },
    explainStop: async (c) => {
      // Asked first with a bounded probe: when locked out, the API's address drops packets and a read would wait for minutes.
      const answers = await managementKube(c.cli).then((k) => k.probe(5000), () => false);
      const s = answers ? await status(c).catch(() => undefined) : undefined;
      const direct = await directReachable(c.cli, 3000);
      const viaBastion = s?.bastion?.floatingIP ? await bastionWorks(c, s.bastion.floatingIP) : false;
      const b = config(c).cluster.bastion;
      return [
        "State now:",
        `  bastion: ${s ? (s.bastion?.floatingIP ?? "none") : "(the OpenStackCluster could not be read)"}; stack file: enabled ${b.enabled}, image ${b.image}`,
        `  load balancer allows: ${s?.apiServerLoadBalancer?.allowedCIDRs?.join(", ") ?? "(unknown)"}`,
        `  this machine's ${c.outputs.operatorCidr ?? "address"}: direct access ${direct ? "works" : "does not work"}; through the bastion: ${viaBastion ? "works" : "does not work"}`,
        breakGlass(s?.apiServerLoadBalancer?.name ?? loadBalancerName(config(c))),
      ].join("\n");
    },
    close: async (c) => {
      await c.path.close();
      restore();
    },
  };
  return rb;
}

export const swapSteps = steps;
