/**
 * Explicit providers. The management provider carries a fixed clusterIdentifier: after
 * `clusterctl move` its kubeconfig changes, and with the identifier unchanged that is an
 * update of the provider — not a replacement of it and of every CAPI object it manages.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../config/schema";
import type { Secrets } from "./secrets";

export type ClusterRole = "management" | "workload";

export function kubernetesProvider(role: ClusterRole, c: StackConfig, secrets: Secrets, parent?: pulumi.Resource): k8s.Provider {
  const access = c.kubernetes?.[role];
  const secretKey = role === "management" ? "managementKubeconfig" : "workloadKubeconfig";
  const inline = secrets.has(secretKey) ? secrets.get(secretKey) : undefined;
  return new k8s.Provider(
    `${role}-cluster`,
    {
      kubeconfig: inline ?? access?.kubeconfig,
      context: access?.context,
      clusterIdentifier: `${c.cluster.name}-${role}`,
      enableServerSideApply: true,
    },
    { parent },
  );
}
