/** The workload cluster as Cluster API objects (the reference's capo-cluster/), derived from config. */
import { isAutoscaled, type StackConfig } from "../../config/schema";
import type { KubeObject } from "../core/declared";
import { secretRef, secretText } from "../core/secret-text";

const CAPI = "cluster.x-k8s.io/v1beta1";
const INFRA = "infrastructure.cluster.x-k8s.io/v1beta1";
const BOOTSTRAP = "bootstrap.cluster.x-k8s.io/v1beta1";
const CONTROL_PLANE = "controlplane.cluster.x-k8s.io/v1beta1";

export const AUTOSCALER_MIN = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size";
export const AUTOSCALER_MAX = "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size";
export const MOVE_LABEL = "clusterctl.cluster.x-k8s.io/move";

import { INFRA_ROLE } from "../core/placement";

/** Name of the Secret holding clouds.yaml, referenced by every identityRef. */
export const cloudConfigSecretName = (c: StackConfig) => `${c.cluster.name}-cloud-config`;

const meta = (c: StackConfig, name: string, extra: Partial<KubeObject["metadata"]> = {}) => ({ name, namespace: c.cluster.namespace, ...extra });

function nodeRegistration(c: StackConfig) {
  return {
    kubeletExtraArgs: {
      "cloud-provider": "external",
      "provider-id": "openstack:///'{{ v1.instance_id }}'",
      "kube-reserved": c.cluster.kubeletReserved.kube,
      "system-reserved": c.cluster.kubeletReserved.system,
    },
    name: "{{ v1.local_hostname }}",
  };
}

const identityRef = (c: StackConfig) => ({ cloudName: c.openstack.cloudName, name: cloudConfigSecretName(c) });
const templateRef = (name: string) => ({ apiVersion: INFRA, kind: "OpenStackMachineTemplate", name });
const bootstrapRef = (name: string) => ({ configRef: { apiVersion: BOOTSTRAP, kind: "KubeadmConfigTemplate", name } });

export function cluster(c: StackConfig): KubeObject {
  return {
    apiVersion: CAPI,
    kind: "Cluster",
    metadata: meta(c, c.cluster.name),
    spec: {
      clusterNetwork: { pods: { cidrBlocks: [c.cluster.podCIDR] }, serviceDomain: c.cluster.serviceDomain },
      controlPlaneRef: { apiVersion: CONTROL_PLANE, kind: "KubeadmControlPlane", name: `${c.cluster.name}-control-plane` },
      infrastructureRef: { apiVersion: INFRA, kind: "OpenStackCluster", name: c.cluster.name },
    },
  };
}

const calicoRule = (description: string, name: string, extra: Record<string, unknown>) => ({
  description,
  direction: "ingress",
  etherType: "IPv4",
  name,
  ...extra,
  remoteManagedGroups: ["controlplane", "worker"],
});

export function openStackCluster(c: StackConfig): KubeObject {
  return {
    apiVersion: INFRA,
    kind: "OpenStackCluster",
    metadata: meta(c, c.cluster.name),
    spec: {
      apiServerLoadBalancer: { enabled: true, allowedCIDRs: [...c.cluster.allowedCIDRs] },
      externalNetwork: { id: c.cluster.externalNetworkId },
      identityRef: identityRef(c),
      managedSecurityGroups: {
        allNodesSecurityGroupRules: [
          calicoRule("Calico - BGP", "BGP (calico)", { portRangeMax: 179, portRangeMin: 179, protocol: "tcp" }),
          calicoRule("Calico IP-in-IP", "IP-in-IP (calico)", { protocol: "4" }),
        ],
        allowAllInClusterTraffic: true,
      },
      managedSubnets: [{ cidr: c.cluster.subnetCIDR, dnsNameservers: [...c.cluster.dnsNameservers] }],
      bastion: {
        enabled: c.cluster.bastion.enabled,
        spec: { flavor: c.cluster.bastion.flavor, image: { filter: { name: c.cluster.bastion.image } }, sshKeyName: c.cluster.sshKeyName },
      },
    },
  };
}

export function kubeadmControlPlane(c: StackConfig): KubeObject {
  return {
    apiVersion: CONTROL_PLANE,
    kind: "KubeadmControlPlane",
    metadata: meta(c, `${c.cluster.name}-control-plane`),
    spec: {
      kubeadmConfigSpec: {
        clusterConfiguration: {
          apiServer: { extraArgs: { "cloud-provider": "external" } },
          controllerManager: { extraArgs: { "cloud-provider": "external" } },
        },
        initConfiguration: { nodeRegistration: nodeRegistration(c) },
        joinConfiguration: { nodeRegistration: nodeRegistration(c) },
      },
      machineTemplate: { infrastructureRef: templateRef(c.cluster.controlPlane.machineTemplate) },
      replicas: c.cluster.controlPlane.replicas,
      version: c.cluster.kubernetesVersion,
    },
  };
}

export function kubeadmConfigTemplates(c: StackConfig): KubeObject[] {
  const template = (name: string, taints?: unknown[]): KubeObject => ({
    apiVersion: BOOTSTRAP,
    kind: "KubeadmConfigTemplate",
    metadata: meta(c, name),
    spec: { template: { spec: { joinConfiguration: { nodeRegistration: { ...nodeRegistration(c), ...(taints ? { taints } : {}) } } } } },
  });
  return [template(c.cluster.workers.name), template(c.cluster.infraNodes.name, [{ key: INFRA_ROLE, effect: "NoSchedule" }])];
}

type MachineDeploymentConfig = StackConfig["cluster"]["workers"];

/** The autoscaler's min/max annotations when it owns the MachineDeployment's size. */
const autoscalerAnnotations = (md: MachineDeploymentConfig) =>
  isAutoscaled(md) && md.autoscaler ? { annotations: { [AUTOSCALER_MIN]: String(md.autoscaler.min), [AUTOSCALER_MAX]: String(md.autoscaler.max) } } : {};

/** replicas only when the autoscaler does not own them (issue pulumi-kubernetes#2491: never fight it). */
const replicasOf = (md: MachineDeploymentConfig) => (isAutoscaled(md) ? {} : { replicas: md.replicas });

/**
 * Workers: replicas are owned by the cluster-autoscaler (min/max annotations), so they are
 * never declared — declaring them would fight the autoscaler on every apply.
 */
export function workerMachineDeployment(c: StackConfig): KubeObject {
  const w = c.cluster.workers;
  return {
    apiVersion: CAPI,
    kind: "MachineDeployment",
    metadata: meta(c, w.name, autoscalerAnnotations(w)),
    spec: {
      clusterName: c.cluster.name,
      ...replicasOf(w),
      selector: { matchLabels: null },
      template: {
        spec: {
          bootstrap: bootstrapRef(w.name),
          clusterName: c.cluster.name,
          failureDomain: c.cluster.failureDomain,
          infrastructureRef: templateRef(w.machineTemplate),
          version: c.cluster.kubernetesVersion,
        },
      },
    },
  };
}

export function infraMachineDeployment(c: StackConfig): KubeObject {
  const n = c.cluster.infraNodes;
  return {
    apiVersion: CAPI,
    kind: "MachineDeployment",
    metadata: meta(c, n.name, autoscalerAnnotations(n)),
    spec: {
      clusterName: c.cluster.name,
      ...replicasOf(n),
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0 } },
      selector: { matchLabels: null },
      template: {
        // The label is propagated to the Machine and the Node.
        metadata: { labels: { [INFRA_ROLE]: "" } },
        spec: {
          bootstrap: bootstrapRef(n.name),
          clusterName: c.cluster.name,
          failureDomain: c.cluster.failureDomain,
          infrastructureRef: templateRef(n.machineTemplate),
          version: c.cluster.kubernetesVersion,
        },
      },
    },
  };
}

export function openStackMachineTemplates(c: StackConfig): KubeObject[] {
  return c.cluster.machineTemplates.map((t) => ({
    apiVersion: INFRA,
    kind: "OpenStackMachineTemplate",
    metadata: meta(c, t.name),
    spec: {
      template: {
        spec: {
          flavor: t.flavor,
          identityRef: identityRef(c),
          image: { filter: { name: t.image } },
          ...(t.rootVolumeGiB ? { rootVolume: { sizeGiB: t.rootVolumeGiB } } : {}),
          sshKeyName: c.cluster.sshKeyName,
        },
      },
    },
  }));
}

/** clouds.yaml for CAPO: the application credential, never written to disk. */
export function cloudsYaml(c: StackConfig) {
  const o = c.openstack;
  return secretText`clouds:
  ${o.cloudName}:
    auth:
      auth_url: ${o.authUrl}
      auth_type: v3applicationcredential
      application_credential_id: ${secretRef("openstackApplicationCredentialId")}
      application_credential_secret: ${secretRef("openstackApplicationCredentialSecret")}
      user_domain_name: ${o.userDomainName}
      project_name: ${o.projectName}
      project_id: ${o.projectId}
    region_name: ${o.region}
`;
}

/** The identity Secret, labelled so that `clusterctl move` takes it along. */
export function cloudConfigSecret(c: StackConfig): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(c, cloudConfigSecretName(c), { labels: { [MOVE_LABEL]: "true" } }),
    type: "Opaque",
    data: { "clouds.yaml": cloudsYaml(c).base64() },
  };
}

export function clusterObjects(c: StackConfig): KubeObject[] {
  return [
    cloudConfigSecret(c),
    ...openStackMachineTemplates(c),
    ...kubeadmConfigTemplates(c),
    openStackCluster(c),
    kubeadmControlPlane(c),
    cluster(c),
    workerMachineDeployment(c),
    infraMachineDeployment(c),
  ];
}
