/**
 * Restarts the workloads that read a rotated Secret, as `kubectl rollout restart` does (a pod
 * template annotation), keyed by the run so a resumed run knows which ones it already
 * restarted; and `kubectl rollout status`'s test of a finished roll.
 */
import type { Kube, KubeObject } from "../../../stacks/core/kube-client";
import type { RestartTarget } from "./consumers";

/** The pod template annotation that restarts a workload: the id of the rotation run. */
export const RESTARTED_BY = "prow-ops.metal3.io/restarted-by-run";
export const RESTART_MANAGER = "prow-ops-rotate";

const API: Record<RestartTarget["kind"], string> = { Deployment: "deployments", DaemonSet: "daemonsets", StatefulSet: "statefulsets" };

export const workloadPath = (t: RestartTarget) => `/apis/apps/v1/namespaces/${t.namespace}/${API[t.kind]}/${t.name}`;
export const describe = (t: RestartTarget) => `${t.kind} ${t.namespace}/${t.name}`;

export const restartedBy = (o: KubeObject | undefined): string | undefined =>
  (o?.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)?.template?.metadata?.annotations?.[RESTARTED_BY];

export async function restart(kube: Kube, t: RestartTarget, runId: string): Promise<void> {
  await kube.apply(
    workloadPath(t),
    { apiVersion: "apps/v1", kind: t.kind, metadata: { name: t.name, namespace: t.namespace }, spec: { template: { metadata: { annotations: { [RESTARTED_BY]: runId } } } } },
    RESTART_MANAGER,
  );
}

/** Whether the workload's roll is finished (what `kubectl rollout status` waits for); absent counts as finished. */
export function rolledOut(o: KubeObject | undefined): boolean {
  if (!o) return true;
  const s = (o.status ?? {}) as Record<string, number | string | undefined>;
  const generation = (o.metadata as { generation?: number }).generation ?? 0;
  if (((s.observedGeneration as number | undefined) ?? 0) < generation) return false;
  const n = (key: string) => (s[key] as number | undefined) ?? 0; // the API omits zero counts
  if (o.kind === "DaemonSet") return n("updatedNumberScheduled") === n("desiredNumberScheduled") && n("numberAvailable") === n("desiredNumberScheduled");
  const replicas = ((o.spec as { replicas?: number } | undefined)?.replicas ?? 1) as number;
  if (o.kind === "StatefulSet") return s.updateRevision === s.currentRevision && n("readyReplicas") === replicas;
  return n("updatedReplicas") === replicas && n("replicas") === replicas && n("availableReplicas") === replicas;
}
