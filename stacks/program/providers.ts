/**
 * Explicit providers. The management provider carries a fixed clusterIdentifier: after
 * `clusterctl move` its kubeconfig changes, and with the identifier unchanged that is an
 * update of the provider — not a replacement of it and of every CAPI object it manages.
 */
import { resolve } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterRole, StackConfig } from "../../config/schema";
import { accessKubeconfig } from "../core/access-env";
import type { CrdCluster } from "./crd-resource";
import type { Secrets } from "./secrets";

export type { ClusterRole };

/**
 * How a cluster is reached: the path the CLI opened (through the bastion), else kubeconfig
 * contents from the secrets, else the configured path, else the ambient kubeconfig.
 */
export function clusterAccess(role: ClusterRole, c: StackConfig, secrets: Secrets): CrdCluster {
  const access = c.kubernetes?.[role];
  const opened = accessKubeconfig(role);
  if (opened) return { kubeconfigPath: opened, context: access?.context };
  const secretKey = role === "management" ? "managementKubeconfig" : "workloadKubeconfig";
  if (secrets.has(secretKey)) return { kubeconfig: secrets.get(secretKey), context: access?.context };
  return { kubeconfigPath: access?.kubeconfig ? resolve(access.kubeconfig) : undefined, context: access?.context };
}

export function kubernetesProvider(role: ClusterRole, c: StackConfig, secrets: Secrets, parent?: pulumi.Resource): k8s.Provider {
  const access = clusterAccess(role, c, secrets);
  return new k8s.Provider(
    `${role}-cluster`,
    {
      kubeconfig: access.kubeconfig ?? (accessKubeconfig(role) ? access.kubeconfigPath : c.kubernetes?.[role]?.kubeconfig),
      context: access.context,
      clusterIdentifier: `${c.cluster.name}-${role}`,
      enableServerSideApply: true,
      // A changed Secret is updated in place, not deleted and re-created (the provider's default
      // for Secrets): a rotation never leaves a window where a pod starting finds no Secret.
      enableSecretMutable: true,
    },
    { parent },
  );
}
