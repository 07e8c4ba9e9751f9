/**
 * `prow-ops node recover <machine-or-node>`: the reference README's "Recovering from failed
 * Nodes" as steps. It shows what is wrong first (Node conditions, Machine phase, the OpenStack
 * server's status when the openstack CLI is there), asks for the Machine's name to be typed,
 * bounds the drain and volume detach on that one Machine (an unresponsive Node can be neither
 * drained nor detached, so the deletion would wait forever), deletes it and waits until its
 * owner's replacement Node is Ready.
 */
import { RefusedError, UsageError } from "../../stacks/core/errors";
import type { KubeObject } from "../../stacks/core/kube-client";
import type { Context } from "../lib/context";
import { CONTROL_PLANE_LABEL, DEPLOYMENT_LABEL, labelsOf, machinesPath, NODES, nodeReady } from "../lib/lifecycle/cluster-state";
import { durationMs, parseDuration } from "../lib/lifecycle/duration";
import { pollUntil } from "../lib/lifecycle/poll";
import { type ClusterRunContext, clusterRunContext } from "../lib/lifecycle/run-context";
import type { Runbook, Step } from "../lib/runbook/types";
import { onPath } from "../lib/engine/pulumi-cli";
import { runTool } from "../lib/tools/run";

const SOURCE = "Recovering from failed Nodes";

export interface RecoverOptions {
  machine?: string;
  drainTimeout?: string;
  volumeDetachTimeout?: string;
  timeout?: string;
}

const opt = (c: ClusterRunContext) => c.options as RecoverOptions;
const machineName = (c: ClusterRunContext) => c.outputs.machine as string;
const ownerLabel = (m: KubeObject): [string, string] | undefined => {
  const label = [CONTROL_PLANE_LABEL, DEPLOYMENT_LABEL].find((l) => labelsOf(m)[l]);
  return label ? [label, labelsOf(m)[label]] : undefined;
};
const nodeName = (m: KubeObject | undefined) => (m?.status as { nodeRef?: { name?: string } } | undefined)?.nodeRef?.name;

async function machines(c: ClusterRunContext): Promise<KubeObject[]> {
  return (await c.management()).list(machinesPath(c.config().cluster.namespace));
}
async function machine(c: ClusterRunContext): Promise<KubeObject | undefined> {
  return (await c.management()).get(`${machinesPath(c.config().cluster.namespace)}/${machineName(c)}`);
}

/** The owner's Machines that were not there when the run began, Running with a Ready Node. */
async function replacementReady(c: ClusterRunContext): Promise<string | undefined> {
  const before = new Set(c.outputs.before as string[]);
  const [label, owner] = c.outputs.owner as [string, string];
  const workload = await c.workload();
  for (const m of await machines(c)) {
    if (before.has(m.metadata.name) || labelsOf(m)[label] !== owner || m.metadata.deletionTimestamp) continue;
    const n = nodeName(m);
    if ((m.status as { phase?: string } | undefined)?.phase === "Running" && n && nodeReady(await workload.get(`${NODES}/${n}`))) return m.metadata.name;
  }
  return undefined;
}

async function serverStatus(name: string, signal: AbortSignal): Promise<string> {
  if (!onPath("openstack")) return "unknown (the openstack CLI is not installed)";
  try {
    return (await runTool("openstack", { args: ["server", "show", name, "-f", "value", "-c", "status"], timeoutMs: 60_000, signal })).stdout.trim() || "unknown";
  } catch (err) {
    return `unknown (${(err as Error).message.split("\n")[0]})`;
  }
}

const poll = (c: ClusterRunContext, what: string, done: () => Promise<boolean>) =>
  pollUntil(done, {
    done: (ok) => ok,
    timeoutMs: durationMs(opt(c).timeout ?? "30m") as number,
    signal: c.signal,
    intervalMs: 1000,
    cancelled: `stopped waiting for ${what} (interrupted)`,
    timedOut: () => `${what} did not happen within ${opt(c).timeout ?? "30m"} (prow-ops status shows the Machines)`,
  });

const steps: Step<ClusterRunContext>[] = [
  {
    id: "diagnose",
    title: "Diagnose: Node conditions, Machine phase, OpenStack server status",
    source: SOURCE,
    check: async (c) => Boolean(c.outputs.machine),
    run: async (c) => {
      const given = opt(c).machine as string;
      const all = await machines(c);
      const m = all.find((x) => x.metadata.name === given) ?? all.find((x) => nodeName(x) === given);
      if (!m) throw new UsageError(`no Machine or Node named ${given} in cluster ${c.config().cluster.name} (Machines: ${all.map((x) => x.metadata.name).join(", ") || "none"})`);
      const owner = ownerLabel(m);
      if (!owner) throw new RefusedError(`Machine ${m.metadata.name} belongs to no KubeadmControlPlane or MachineDeployment: nothing would replace it`);
      const siblings = all.filter((x) => labelsOf(x)[owner[0]] === owner[1] && !x.metadata.deletionTimestamp);
      if (owner[0] === CONTROL_PLANE_LABEL && siblings.length < 2) {
        throw new RefusedError(`Machine ${m.metadata.name} is the only control-plane Machine: deleting it loses etcd and the cluster. Raise cluster.controlPlane.replicas to 3 first (prow-ops config set cluster.controlPlane.replicas 3; prow-ops up --target cluster), then recover it`);
      }
      const node = nodeName(m) ? await (await c.workload()).get(`${NODES}/${nodeName(m)}`) : undefined;
      const conditions = ((node?.status?.conditions ?? []) as Array<{ type: string; status: string; reason?: string; message?: string }>).map((x) => `${x.type}=${x.status}${x.reason ? ` (${x.reason}${x.message ? `: ${x.message}` : ""})` : ""}`);
      c.reporter.info(
        [
          `Machine ${m.metadata.name} (${owner[1]}): phase ${(m.status as { phase?: string } | undefined)?.phase ?? "unknown"}${m.metadata.deletionTimestamp ? ", being deleted" : ""}`,
          `Node ${nodeName(m) ?? "(none)"}: ${node ? conditions.join(", ") || "no conditions" : "not found"}`,
          `OpenStack server ${m.metadata.name}: ${await serverStatus(m.metadata.name, c.signal)}`,
          `The Machine gets nodeDrainTimeout ${opt(c).drainTimeout} and nodeVolumeDetachTimeout ${opt(c).volumeDetachTimeout}, then is deleted; ${owner[1]} creates a replacement.`,
          "Workload still running on an unresponsive Node is not stopped by this: when in doubt, stop the server first (openstack server stop <name>).",
        ].join("\n"),
      );
      return { machine: m.metadata.name, node: nodeName(m), owner, before: all.map((x) => x.metadata.name) };
    },
  },
  {
    id: "bound-drain",
    title: "Set nodeDrainTimeout and nodeVolumeDetachTimeout on that Machine only",
    source: SOURCE,
    destructive: true,
    check: async (c) => {
      const m = await machine(c);
      const spec = (m?.spec ?? {}) as { nodeDrainTimeout?: string; nodeVolumeDetachTimeout?: string };
      return !m || (durationMs(spec.nodeDrainTimeout) === durationMs(opt(c).drainTimeout) && durationMs(spec.nodeVolumeDetachTimeout) === durationMs(opt(c).volumeDetachTimeout));
    },
    run: async (c) => {
      const ns = c.config().cluster.namespace;
      await (await c.management()).apply(
        `${machinesPath(ns)}/${machineName(c)}`,
        { apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Machine", metadata: { name: machineName(c), namespace: ns }, spec: { nodeDrainTimeout: opt(c).drainTimeout, nodeVolumeDetachTimeout: opt(c).volumeDetachTimeout } },
        "prow-ops-node-recover",
      );
      return undefined;
    },
  },
  {
    id: "delete-machine",
    title: "Delete the Machine (its Node goes with it)",
    source: SOURCE,
    check: async (c) => {
      const m = await machine(c);
      return !m || Boolean(m.metadata.deletionTimestamp);
    },
    run: async (c) => {
      await (await c.management()).remove(`${machinesPath(c.config().cluster.namespace)}/${machineName(c)}`);
      return undefined;
    },
  },
  {
    id: "wait-deleted",
    title: "Wait until the Machine is gone (drain and detach bounded by the timeouts)",
    source: SOURCE,
    check: async (c) => !(await machine(c)),
    run: async (c) => {
      await poll(c, `the deletion of Machine ${machineName(c)}`, async () => !(await machine(c)));
      return undefined;
    },
  },
  {
    id: "wait-replacement",
    title: "Wait until the replacement Machine runs and its Node is Ready",
    source: SOURCE,
    check: async (c) => Boolean(await replacementReady(c)),
    run: async (c) => {
      await poll(c, `a replacement for Machine ${machineName(c)}`, async () => Boolean(await replacementReady(c)));
      return { replacement: await replacementReady(c) };
    },
    observe: async (c) => ({ replacement: await replacementReady(c) }),
  },
];

export function nodeRecover(cli: Context, o: RecoverOptions): Runbook<ClusterRunContext> {
  parseDuration("--drain-timeout", o.drainTimeout ?? "10m");
  parseDuration("--volume-detach-timeout", o.volumeDetachTimeout ?? "15m");
  parseDuration("--timeout", o.timeout ?? "30m");
  return {
    name: "node-recover",
    command: "node recover",
    title: "Replace a failed Node",
    steps,
    tools: [],
    confirmationWord: async (c) => String(c.outputs.machine),
    context: async (base) => {
      if (!base.options.machine) throw new UsageError("name the Machine or Node to recover: prow-ops node recover <machine-or-node> (prow-ops status lists them)");
      return clusterRunContext(cli, { ...base, options: { drainTimeout: "10m", volumeDetachTimeout: "15m", timeout: "30m", ...base.options } }, { layers: ["cluster", "cluster-resources"] });
    },
    managementCluster: (c) => c.management(),
    close: (c) => c.release(),
  };
}
