/**
 * Plays the kubelets for Prow's namespace of the workload cluster: each Deployment becomes
 * available at its replicas (its pods running and ready) and hook's Service gets a ready
 * endpoint (its readiness probe answering) — what bootstrap's health check reads.
 */
import { apiNow } from "./ticker";
import type { Kube, KubeObject } from "../../../stacks/core/kube-client";
import { PROW_NAMESPACE } from "../lifecycle/bootstrap-checks";

const MANAGER = "kubelet-simulator";

export async function playKubelets(workload: Kube): Promise<void> {
  for (const d of await workload.list(`/apis/apps/v1/namespaces/${PROW_NAMESPACE}/deployments`)) {
    const replicas = (d.spec as { replicas?: number }).replicas ?? 1;
    const generation = (d.metadata as { generation?: number }).generation;
    const s = d.status as { availableReplicas?: number; observedGeneration?: number } | undefined;
    if (s?.availableReplicas === replicas && s.observedGeneration === generation) continue;
    const status = { observedGeneration: generation, replicas, readyReplicas: replicas, availableReplicas: replicas, updatedReplicas: replicas, conditions: [{ type: "Available", status: "True", reason: "MinimumReplicasAvailable", lastUpdateTime: apiNow(), lastTransitionTime: apiNow() }] };
    await workload.apply(`/apis/apps/v1/namespaces/${PROW_NAMESPACE}/deployments/${d.metadata.name}/status`, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: d.metadata.name, namespace: PROW_NAMESPACE }, status }, MANAGER);
    if (d.metadata.name === "hook") {
      const slice = { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", metadata: { name: "hook-kubelet", namespace: PROW_NAMESPACE, labels: { "kubernetes.io/service-name": "hook" } }, addressType: "IPv4", endpoints: [{ addresses: ["192.0.2.50"], conditions: { ready: true } }], ports: [{ name: "main", port: 8888, protocol: "TCP" }] };
      await workload.apply(`/apis/discovery.k8s.io/v1/namespaces/${PROW_NAMESPACE}/endpointslices/hook-kubelet`, slice as unknown as KubeObject, MANAGER);
    }
  }
}
