/**
 * The Cluster API management layer (the reference's capi/): cert-manager, the
 * cluster-api-operator and the four provider objects at the pinned versions.
 */
import type { StackConfig } from "../../config/schema";
import type { KubeObject } from "../core/declared";

const OPERATOR = "operator.cluster.x-k8s.io/v1alpha2";

/** The providers in the order the reference lists them: [kind, name, namespace, version key]. */
export function providers(c: StackConfig): KubeObject[] {
  const v = c.versions;
  const table: Array<[string, string, string, string]> = [
    ["CoreProvider", "cluster-api", "capi-system", v.clusterApi],
    ["ControlPlaneProvider", "kubeadm", "capi-kubeadm-control-plane-system", v.clusterApi],
    ["BootstrapProvider", "kubeadm", "capi-kubeadm-bootstrap-system", v.clusterApi],
    ["InfrastructureProvider", "openstack", "capo-system", v.capo],
  ];
  return table.flatMap(([kind, name, namespace, version]) => [
    { apiVersion: OPERATOR, kind, metadata: { name, namespace }, spec: { version } },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
  ]);
}

export function capiObjects(c: StackConfig, upstream: { certManager: KubeObject[]; operator: KubeObject[] }): KubeObject[] {
  return [...upstream.certManager, ...upstream.operator, ...providers(c)];
}
