/**
 * The API load balancer's allowed sources, changed through the stack and observed where CAPO
 * reports them (OpenStackCluster status.apiServerLoadBalancer.allowedCIDRs), and the direct
 * path to the API that they open or close.
 */
import type { ClusterRole, StackConfig } from "../../../config/schema";
import type { LayerName } from "../../../config/layer-names";
import { accessKubeconfig } from "../../../stacks/core/access-env";
import { ProwOpsError } from "../../../stacks/core/errors";
import { connect, type Kube, type KubeObject } from "../../../stacks/core/kube-client";
import type { Context } from "../context";
import { type ChangeSummary, type Operation, runOperation } from "../engine/operations";
import type { OpenedStack } from "../engine/workspace";
import { teamStoreFor } from "../team/store";
import { declareTemporary, listTemporary } from "./temporary-cidrs";
import { kubeconfigContents } from "./with-access";

export interface OscStatus {
  bastion?: { floatingIP?: string; state?: string };
  apiServerLoadBalancer?: { allowedCIDRs?: string[]; name?: string; id?: string };
}

export const oscListPath = (c: StackConfig) => `/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/${c.cluster.namespace}/openstackclusters`;

/** A cluster through the path this process holds (or as the stack reaches it directly). */
export async function clusterKube(ctx: Context, role: ClusterRole, stack?: OpenedStack): Promise<Kube> {
  const opened = accessKubeconfig(role);
  return connect(opened ? { kubeconfig: opened } : { inline: await kubeconfigContents(ctx, role, stack) });
}

export const managementKube = (ctx: Context) => clusterKube(ctx, "management");
export const workloadKube = (ctx: Context) => clusterKube(ctx, "workload");

export async function readOsc(kube: Kube, c: StackConfig): Promise<KubeObject | undefined> {
  return kube.get(`${oscListPath(c)}/${c.cluster.name}`);
}

/** Applies these layers with the team's temporary sources as they are listed now. */
/** An engine operation on some layers, with the team's temporary load-balancer sources declared. */
/** `components`: layers whose component is targeted too (see targetUrns: needed when the up deletes something they depend on). */
export async function operateLayers(ctx: Context, opened: OpenedStack, op: Operation, layers: LayerName[], signal?: AbortSignal, components?: LayerName[]): Promise<ChangeSummary> {
  declareTemporary(await listTemporary(await teamStoreFor(opened.backend), opened.stackName));
  return runOperation(opened, op, { reporter: ctx.reporter, target: layers, targetComponents: components, signal });
}

export async function applyLayers(ctx: Context, opened: OpenedStack, layers: LayerName[], signal?: AbortSignal, components?: LayerName[]): Promise<void> {
  await operateLayers(ctx, opened, "up", layers, signal, components);
}

export const applyClusterLayer = (ctx: Context, opened: OpenedStack, signal?: AbortSignal) => applyLayers(ctx, opened, ["cluster"], signal);


/** Waits until CAPO reports what `holds` asks of the OpenStackCluster's status (a watch; minutes, as Octavia takes). */
export async function waitForOsc(kube: Kube, c: StackConfig, what: string, holds: (s: OscStatus, spec: Record<string, unknown>) => boolean, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<OscStatus> {
  const osc = await kube.waitFor(oscListPath(c), (obj) => obj.metadata.name === c.cluster.name && holds((obj.status ?? {}) as OscStatus, obj.spec ?? {}), {
    what: `the OpenStackCluster ${c.cluster.name}: ${what}`,
    timeoutMs: o.timeoutMs ?? 600_000,
    signal: o.signal,
  });
  return (osc.status ?? {}) as OscStatus;
}

export const allows = (s: OscStatus, cidr: string) => (s.apiServerLoadBalancer?.allowedCIDRs ?? []).includes(cidr);

/** Whether the workload API answers straight through the load balancer (no bastion), its certificate verified. */
export async function directReachable(ctx: Context, timeoutMs = 5000): Promise<boolean> {
  try {
    return await (await connect({ inline: await kubeconfigContents(ctx, "workload") })).probe(timeoutMs);
  } catch {
    return false;
  }
}

/** Polls the direct path until it answers (or stops answering, with `want` false). */
export async function waitDirect(ctx: Context, want: boolean, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  while ((await directReachable(ctx, 3000)) !== want) {
    if (o.signal?.aborted) throw new ProwOpsError("CANCELLED", "stopped waiting for the direct path (interrupted)");
    if (Date.now() > deadline) {
      throw new ProwOpsError("TIMEOUT", want ? "the workload API does not answer directly although the load balancer reports the address as allowed: is this the address the API sees (NAT)?" : "the workload API still answers directly although the address was removed from the load balancer");
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
