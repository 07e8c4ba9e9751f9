/**
 * The cluster as Cluster API and the kubelets report it: the KubeadmControlPlane, the
 * MachineDeployments, their Machines (management cluster) and the Nodes (workload cluster).
 * What the life-cycle runbooks wait on: health, and a roll to a version and templates.
 */
import type { StackConfig } from "../../../config/schema";
import type { Kube, KubeObject } from "../../../stacks/core/kube-client";

export const capiPath = (ns: string, plural: string, group = "cluster.x-k8s.io") => `/apis/${group}/v1beta1/namespaces/${ns}/${plural}`;
export const kcpPath = (ns: string) => capiPath(ns, "kubeadmcontrolplanes", "controlplane.cluster.x-k8s.io");
export const machinesPath = (ns: string) => capiPath(ns, "machines");
export const NODES = "/api/v1/nodes";
export const CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name";
export const CONTROL_PLANE_LABEL = "cluster.x-k8s.io/control-plane-name";
export const DEPLOYMENT_LABEL = "cluster.x-k8s.io/deployment-name";
/** The template an object was cloned from: CAPI writes it on the OpenStackMachine it clones for a Machine (not on the Machine). */
export const CLONED_FROM = "cluster.x-k8s.io/cloned-from-name";
export const openstackMachinesPath = (ns: string) => capiPath(ns, "openstackmachines", "infrastructure.cluster.x-k8s.io");
export const labelsOf = (o: KubeObject) => (o.metadata.labels ?? {}) as Record<string, string>;
export const annotationsOf = (o: KubeObject) => (o.metadata.annotations ?? {}) as Record<string, string>;
/** The OpenStackMachineTemplate a Machine was created from: the annotation of its OpenStackMachine. */
export function templateOf(s: Pick<ClusterState, "infraMachines">, m: KubeObject): string | undefined {
  const ref = (m.spec as { infrastructureRef?: { name?: string } } | undefined)?.infrastructureRef?.name;
  const infra = s.infraMachines.find((o) => o.metadata.name === ref);
  return infra ? annotationsOf(infra)[CLONED_FROM] : undefined;
}

export interface ClusterState {
  cluster?: KubeObject;
  kcp?: KubeObject;
  mds: KubeObject[];
  machines: KubeObject[];
  /** The Machines' OpenStackMachines (where the template each was cloned from is recorded). */
  infraMachines: KubeObject[];
  nodes: KubeObject[];
}

/** The machine templates and version the cluster runs on (or is switched to). */
export interface Placement {
  version: string;
  controlPlane: string;
  workers: string;
  infraNodes: string;
}

export async function readClusterState(management: Kube, workload: Kube | undefined, c: StackConfig): Promise<ClusterState> {
  const ns = c.cluster.namespace;
  const [clusters, kcps, mds, machines, infraMachines, nodes] = await Promise.all([
    management.list(capiPath(ns, "clusters")),
    management.list(kcpPath(ns)),
    management.list(capiPath(ns, "machinedeployments")),
    management.list(machinesPath(ns)),
    management.list(openstackMachinesPath(ns)),
    workload ? workload.list(NODES) : Promise.resolve([]),
  ]);
  return {
    cluster: clusters.find((o) => o.metadata.name === c.cluster.name),
    kcp: kcps.find((o) => o.metadata.name === `${c.cluster.name}-control-plane`),
    mds: mds.filter((o) => (o.spec as { clusterName?: string }).clusterName === c.cluster.name),
    machines: machines.filter((m) => labelsOf(m)[CLUSTER_NAME_LABEL] === c.cluster.name),
    infraMachines,
    nodes,
  };
}

export const nodeReady = (n: KubeObject | undefined) => ((n?.status?.conditions ?? []) as Array<{ type: string; status: string }>).some((c) => c.type === "Ready" && c.status === "True");
const phase = (m: KubeObject) => (m.status as { phase?: string } | undefined)?.phase ?? "Pending";
const nodeOf = (s: ClusterState, m: KubeObject) => {
  const ref = (m.status as { nodeRef?: { name?: string } } | undefined)?.nodeRef?.name;
  return ref ? s.nodes.find((n) => n.metadata.name === ref) : undefined;
};
const kubeletVersion = (n: KubeObject | undefined) => (n?.status as { nodeInfo?: { kubeletVersion?: string } } | undefined)?.nodeInfo?.kubeletVersion;

/** What is wrong with the cluster now, one line each (nothing: healthy). */
export function problems(s: ClusterState, c: StackConfig): string[] {
  const out: string[] = [];
  if (!s.cluster) out.push(`the Cluster ${c.cluster.name} does not exist in namespace ${c.cluster.namespace}`);
  else {
    const st = (s.cluster.status ?? {}) as { controlPlaneReady?: boolean; infrastructureReady?: boolean };
    if (!st.controlPlaneReady) out.push(`the Cluster ${c.cluster.name} reports its control plane not ready`);
    if (!st.infrastructureReady) out.push(`the Cluster ${c.cluster.name} reports its infrastructure not ready`);
  }
  if (!s.kcp) out.push(`the KubeadmControlPlane ${c.cluster.name}-control-plane does not exist`);
  for (const m of s.machines) {
    const name = m.metadata.name;
    if (m.metadata.deletionTimestamp) out.push(`Machine ${name} is being deleted`);
    else if (phase(m) !== "Running") out.push(`Machine ${name} is ${phase(m)}`);
    else if (!nodeReady(nodeOf(s, m))) out.push(`the Node of Machine ${name} is not Ready`);
  }
  return out;
}


export interface Rollout {
  done: boolean;
  /** "3/4 Machines at v1.31.2 and Ready; waiting for: ..." */
  summary: string;
}

/** Whether every Machine runs `target` (version and template) with a Ready Node of that kubelet version, and no old Machine is left. */
export function rollout(s: ClusterState, target: Placement): Rollout {
  const owner = (m: KubeObject) => {
    if (labelsOf(m)[CONTROL_PLANE_LABEL]) return target.controlPlane;
    return labelsOf(m)[DEPLOYMENT_LABEL] ? "md" : undefined;
  };
  const mdTemplate = (m: KubeObject) => {
    const md = s.mds.find((d) => d.metadata.name === labelsOf(m)[DEPLOYMENT_LABEL]);
    return (md?.spec as { template?: { spec?: { infrastructureRef?: { name?: string } } } } | undefined)?.template?.spec?.infrastructureRef?.name;
  };
  const waiting: string[] = [];
  let good = 0;
  for (const m of s.machines) {
    const wantTemplate = owner(m) === "md" ? mdTemplate(m) : owner(m);
    const node = nodeOf(s, m);
    const why = m.metadata.deletionTimestamp
      ? "being deleted"
      : (m.spec as { version?: string }).version !== target.version
        ? `at ${(m.spec as { version?: string }).version}`
        : wantTemplate && templateOf(s, m) !== wantTemplate
          ? `on template ${templateOf(s, m) ?? "unknown"}`
          : phase(m) !== "Running"
            ? phase(m)
            : !nodeReady(node)
              ? "Node not Ready"
              : kubeletVersion(node) !== target.version
                ? `kubelet ${kubeletVersion(node)}`
                : undefined;
    if (why) waiting.push(`${m.metadata.name} (${why})`);
    else good++;
  }
  const kcpSpec = (s.kcp?.spec ?? {}) as { replicas?: number };
  const expected = (kcpSpec.replicas ?? 1) + s.mds.reduce((n, d) => n + ((d.spec as { replicas?: number }).replicas ?? 0), 0);
  const enough = good >= expected && s.machines.length > 0;
  return {
    done: waiting.length === 0 && enough,
    summary: `${good}/${Math.max(expected, s.machines.length)} Machines at ${target.version} and Ready${waiting.length ? `; waiting for: ${waiting.join(", ")}` : ""}`,
  };
}

/** Where the stack file puts the cluster now. */
export const placementOf = (c: StackConfig): Placement => ({
  version: c.cluster.kubernetesVersion,
  controlPlane: c.cluster.controlPlane.machineTemplate,
  workers: c.cluster.workers.machineTemplate,
  infraNodes: c.cluster.infraNodes.machineTemplate,
});

/** Whether the cluster's objects already ask for `p` (the KubeadmControlPlane and every MachineDeployment). */
export function specAt(s: ClusterState, c: StackConfig, p: Placement): boolean {
  const kcp = (s.kcp?.spec ?? {}) as { version?: string; machineTemplate?: { infrastructureRef?: { name?: string } } };
  if (kcp.version !== p.version || kcp.machineTemplate?.infrastructureRef?.name !== p.controlPlane) return false;
  const want: Record<string, string> = { [c.cluster.workers.name]: p.workers, [c.cluster.infraNodes.name]: p.infraNodes };
  return Object.entries(want).every(([name, template]) => {
    const md = s.mds.find((d) => d.metadata.name === name);
    const spec = (md?.spec as { template?: { spec?: { version?: string; infrastructureRef?: { name?: string } } } } | undefined)?.template?.spec;
    return spec?.version === p.version && spec?.infrastructureRef?.name === template;
  });
}
