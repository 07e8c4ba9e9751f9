/**
 * What a bootstrap waits on: the Cluster API providers the operator installs in the bootstrap
 * cluster, the Cluster's control plane, every Node Ready, and Prow healthy. Each is a read of
 * the clusters' own status, never a sleep.
 */
import type { StackConfig } from "../../../config/schema";
import { providers } from "../../../stacks/capi/objects";
import type { Kube, KubeObject } from "../../../stacks/core/kube-client";
import { NODES, nodeReady } from "./cluster-state";

const OPERATOR = "/apis/operator.cluster.x-k8s.io/v1alpha2";
const conditionTrue = (o: KubeObject | undefined, type: string) => ((o?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some((c) => c.type === type && c.status === "True");

/** The operator's providers not yet installed and Ready at their version ([] when all are). */
export async function providersNotReady(kube: Kube, c: StackConfig): Promise<string[]> {
  const waiting: string[] = [];
  for (const p of providers(c).filter((o) => o.kind !== "Namespace")) {
    const path = `${OPERATOR}/namespaces/${p.metadata.namespace}/${p.kind.toLowerCase()}s/${p.metadata.name}`;
    const live = await kube.get(path);
    const version = (p.spec as { version: string }).version;
    if (!conditionTrue(live, "Ready") || (live?.status as { installedVersion?: string } | undefined)?.installedVersion !== version) waiting.push(`${p.kind} ${p.metadata.name} ${version}`);
  }
  return waiting;
}

/** Whether the Cluster's infrastructure and control plane are ready (what `clusterctl get kubeconfig` needs). */
export async function clusterProvisioned(kube: Kube, c: StackConfig): Promise<boolean> {
  const cluster = await kube.get(`/apis/cluster.x-k8s.io/v1beta1/namespaces/${c.cluster.namespace}/clusters/${c.cluster.name}`);
  const s = cluster?.status as { infrastructureReady?: boolean; controlPlaneReady?: boolean } | undefined;
  return Boolean(s?.infrastructureReady && s.controlPlaneReady);
}

/** The Nodes: how many, and which are not Ready. */
export async function nodesState(kube: Kube): Promise<{ total: number; notReady: string[] }> {
  const nodes = await kube.list(NODES);
  return { total: nodes.length, notReady: nodes.filter((n) => !nodeReady(n)).map((n) => n.metadata.name) };
}

export const PROW_NAMESPACE = "prow";

/**
 * Prow's health: every Deployment in its namespace available at its replicas, hook with a
 * ready endpoint (its readiness probe answers), and the ProwJob API served. The problems, or [].
 */
export async function prowProblems(kube: Kube): Promise<string[]> {
  const problems: string[] = [];
  const deployments = await kube.list(`/apis/apps/v1/namespaces/${PROW_NAMESPACE}/deployments`);
  if (!deployments.length) problems.push(`no Deployment in namespace ${PROW_NAMESPACE}`);
  for (const d of deployments) {
    const want = (d.spec as { replicas?: number }).replicas ?? 1;
    const s = (d.status ?? {}) as { availableReplicas?: number; updatedReplicas?: number; observedGeneration?: number };
    const current = (s.observedGeneration ?? 0) >= ((d.metadata as { generation?: number }).generation ?? 0);
    if (!current || (s.availableReplicas ?? 0) < want || (s.updatedReplicas ?? 0) < want) problems.push(`Deployment ${d.metadata.name}: ${s.availableReplicas ?? 0}/${want} available`);
  }
  const slices = await kube.list(`/apis/discovery.k8s.io/v1/namespaces/${PROW_NAMESPACE}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dhook`);
  const readyEndpoints = slices.flatMap((s) => ((s as { endpoints?: Array<{ conditions?: { ready?: boolean } }> }).endpoints ?? []).filter((e) => e.conditions?.ready !== false));
  if (!readyEndpoints.length) problems.push("hook has no ready endpoint (its readiness probe does not answer yet)");
  try {
    await kube.list(`/apis/prow.k8s.io/v1/namespaces/${PROW_NAMESPACE}/prowjobs?limit=1`);
    if (!(await kube.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/prowjobs.prow.k8s.io"))) problems.push("the ProwJob CRD is not installed");
  } catch (err) {
    problems.push(`ProwJobs cannot be listed: ${(err as Error).message}`);
  }
  return problems;
}
