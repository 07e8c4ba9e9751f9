/**
 * Workload-cluster add-ons (the reference's cluster-resources/): Calico, the OpenStack
 * cloud-controller-manager, Cinder CSI, the cloud-config secret, cluster-autoscaler and the
 * CoreDNS PDB — with the reference's placement patches.
 */
import type { StackConfig } from "../../config/schema";
import type { KubeObject } from "../core/declared";
import { named, patchWhere, place, setImages } from "../core/patch";
import { fromRoot } from "../core/paths";
import { infraPlacement } from "../core/placement";
import { secretRef, secretText } from "../core/secret-text";
import { readManifests } from "../core/yaml";

export interface ClusterResourcesUpstream {
  calico: KubeObject[];
  cloudProvider: KubeObject[];
}

/** cloud.conf for the cloud-controller-manager and Cinder CSI. */
export function cloudConf(c: StackConfig) {
  const o = c.openstack;
  return secretText`[Global]
auth-url=${o.authUrl}
application-credential-id=${secretRef("openstackApplicationCredentialId")}
application-credential-secret=${secretRef("openstackApplicationCredentialSecret")}
region=${o.region}
project-name=${o.projectName}
project-id=${o.projectId}
`;
}

export const cloudConfigSecret = (c: StackConfig): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "cloud-config", namespace: "kube-system" },
  type: "Opaque",
  data: { "cloud.conf": cloudConf(c).base64() },
});

/** The cluster autoscaler may only remove nodes running kube-system pods that have a PDB. */
export const corednsPdb = (): KubeObject => ({
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name: "coredns", namespace: "kube-system" },
  spec: { minAvailable: 1, selector: { matchLabels: { "k8s-app": "kube-dns" } } },
});

export function autoscaler(c: StackConfig): KubeObject[] {
  const objects = readManifests(fromRoot("stacks/cluster-resources/manifests/autoscaler.yaml"));
  const repo = "registry.k8s.io/autoscaling/cluster-autoscaler";
  return patchWhere(objects, named("Deployment", "cluster-autoscaler"), (o) =>
    setImages(o, (image) => (image.startsWith(`${repo}:`) ? `${repo}:${c.versions.clusterAutoscaler}` : undefined)),
  );
}

export function clusterResourcesObjects(c: StackConfig, upstream: ClusterResourcesUpstream): KubeObject[] {
  let objects = [...upstream.calico, ...upstream.cloudProvider, ...autoscaler(c), corednsPdb(), cloudConfigSecret(c)];
  // CSI Cinder sets no tolerations or nodeSelector: start both empty, then place on infra nodes.
  objects = patchWhere(objects, named("Deployment", "csi-cinder-controllerplugin"), (o) => place(o, { ...infraPlacement(true), resetNodeSelector: true }));
  objects = patchWhere(objects, named("Deployment", "calico-kube-controllers"), (o) => place(o, infraPlacement(false)));
  return objects;
}
