/**
 * `prow-ops status`: the cluster as the maintainers look at it, read from both clusters —
 * Cluster phase, control plane and MachineDeployment rollout, Machines, Nodes, autoscaler
 * bounds, the bastion, Prow's Deployments and the ProwJobs pending and running.
 * `summarize` is pure (objects in, report out); `gather` reads them.
 */
import { AUTOSCALER_MAX, AUTOSCALER_MIN } from "../../stacks/cluster/objects";
import type { KubeObject } from "../../stacks/core/kube-client";

export interface StatusInput {
  cluster?: KubeObject;
  controlPlane?: KubeObject;
  machineDeployments: KubeObject[];
  machines: KubeObject[];
  openstackCluster?: KubeObject;
  nodes: KubeObject[];
  deployments: KubeObject[];
  prowJobs: KubeObject[];
  /** Sections that could not be read, with why. */
  unreachable: Record<string, string>;
}

export interface StatusReport {
  cluster: { name?: string; phase?: string; controlPlaneReady?: boolean; infrastructureReady?: boolean };
  controlPlane?: { replicas?: number; ready?: number; updated?: number; version?: string };
  machineDeployments: Array<{ name: string; replicas?: number; ready?: number; updated?: number; phase?: string; autoscaler?: { min: number; max: number } }>;
  machines: Array<{ name: string; phase?: string; version?: string; node?: string }>;
  nodes: Array<{ name: string; version?: string; ready: boolean }>;
  bastion?: { state?: string; floatingIP?: string };
  prow: { deployments: Array<{ name: string; ready: number; replicas: number }>; jobs: { pending: number; running: number } };
  unreachable: Record<string, string>;
}

type Any = Record<string, unknown>;
const at = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Any)[k] : undefined), o);
const num = (v: unknown) => (typeof v === "number" ? v : undefined);
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const conditionTrue = (o: unknown, type: string) => ((at(o, "status", "conditions") as Any[] | undefined) ?? []).some((c) => c.type === type && c.status === "True");

export function summarize(i: StatusInput): StatusReport {
  const mdAutoscaler = (md: KubeObject) => {
    const a = (md.metadata.annotations ?? {}) as Record<string, string>;
    return a[AUTOSCALER_MIN] !== undefined && a[AUTOSCALER_MAX] !== undefined ? { min: Number(a[AUTOSCALER_MIN]), max: Number(a[AUTOSCALER_MAX]) } : undefined;
  };
  return {
    cluster: {
      name: i.cluster?.metadata.name,
      phase: str(at(i.cluster, "status", "phase")),
      controlPlaneReady: at(i.cluster, "status", "controlPlaneReady") === true,
      infrastructureReady: at(i.cluster, "status", "infrastructureReady") === true,
    },
    ...(i.controlPlane
      ? { controlPlane: { replicas: num(at(i.controlPlane, "spec", "replicas")), ready: num(at(i.controlPlane, "status", "readyReplicas")) ?? 0, updated: num(at(i.controlPlane, "status", "updatedReplicas")) ?? 0, version: str(at(i.controlPlane, "spec", "version")) } }
      : {}),
    machineDeployments: i.machineDeployments.map((md) => ({
      name: md.metadata.name,
      replicas: num(at(md, "spec", "replicas")),
      ready: num(at(md, "status", "readyReplicas")) ?? 0,
      updated: num(at(md, "status", "updatedReplicas")) ?? 0,
      phase: str(at(md, "status", "phase")),
      ...(mdAutoscaler(md) ? { autoscaler: mdAutoscaler(md) } : {}),
    })),
    machines: i.machines.map((m) => ({ name: m.metadata.name, phase: str(at(m, "status", "phase")), version: str(at(m, "spec", "version")), node: str(at(m, "status", "nodeRef", "name")) })),
    nodes: i.nodes.map((n) => ({ name: n.metadata.name, version: str(at(n, "status", "nodeInfo", "kubeletVersion")), ready: conditionTrue(n, "Ready") })),
    ...(i.openstackCluster ? { bastion: { state: str(at(i.openstackCluster, "status", "bastion", "state")), floatingIP: str(at(i.openstackCluster, "status", "bastion", "floatingIP")) } } : {}),
    prow: {
      deployments: i.deployments.map((d) => ({ name: d.metadata.name, ready: num(at(d, "status", "readyReplicas")) ?? 0, replicas: num(at(d, "spec", "replicas")) ?? 1 })),
      jobs: {
        pending: i.prowJobs.filter((j) => at(j, "status", "state") === "pending" || at(j, "status", "state") === "triggered").length,
        running: i.prowJobs.filter((j) => at(j, "status", "state") === "running" || (at(j, "status", "state") === "pending" && at(j, "status", "pod_name"))).length,
      },
    },
    unreachable: i.unreachable,
  };
}

export function formatStatus(r: StatusReport): string {
  const lines = [`cluster ${r.cluster.name ?? "?"}: ${r.cluster.phase ?? "unknown"}  (control plane ready: ${r.cluster.controlPlaneReady ? "yes" : "no"}, infrastructure ready: ${r.cluster.infrastructureReady ? "yes" : "no"})`];
  if (r.controlPlane) lines.push(`control plane: ${r.controlPlane.ready}/${r.controlPlane.replicas ?? "?"} ready, ${r.controlPlane.updated} up to date, ${r.controlPlane.version ?? "?"}`);
  for (const md of r.machineDeployments) {
    const size = md.autoscaler ? `autoscaler ${md.autoscaler.min}..${md.autoscaler.max}, now ${md.replicas ?? "?"}` : `${md.replicas ?? "?"} replicas`;
    lines.push(`machinedeployment ${md.name}: ${md.ready} ready, ${md.updated} up to date (${size})${md.phase ? ` ${md.phase}` : ""}`);
  }
  if (r.machines.length) lines.push("machines:", ...r.machines.map((m) => `  ${m.name.padEnd(40)} ${(m.phase ?? "?").padEnd(12)} ${(m.version ?? "?").padEnd(10)} ${m.node ?? ""}`));
  if (r.nodes.length) lines.push("nodes:", ...r.nodes.map((n) => `  ${n.name.padEnd(40)} ${(n.ready ? "Ready" : "NotReady").padEnd(12)} ${n.version ?? "?"}`));
  if (r.bastion) lines.push(`bastion: ${r.bastion.state ?? "none"}${r.bastion.floatingIP ? ` at ${r.bastion.floatingIP}` : ""}`);
  if (r.prow.deployments.length) lines.push(`prow: ${r.prow.deployments.filter((d) => d.ready >= d.replicas).length}/${r.prow.deployments.length} deployments ready${r.prow.deployments.some((d) => d.ready < d.replicas) ? ` (not ready: ${r.prow.deployments.filter((d) => d.ready < d.replicas).map((d) => d.name).join(", ")})` : ""}`);
  lines.push(`prowjobs: ${r.prow.jobs.pending} pending, ${r.prow.jobs.running} running`);
  for (const [what, why] of Object.entries(r.unreachable)) lines.push(`UNREACHABLE ${what}: ${why}`);
  return lines.join("\n");
}
