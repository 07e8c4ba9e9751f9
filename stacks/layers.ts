/**
 * The seven layers as data: which cluster each targets, which upstream manifests it needs
 * and what it declares. The Pulumi program and the offline render both read this table.
 */
import { LAYERS, type LayerName, type StackConfig } from "../config/schema";
import { capiObjects } from "./capi/objects";
import { clusterObjects } from "./cluster/objects";
import { clusterResourcesObjects } from "./cluster-resources/objects";
import { withoutOverriddenCreators } from "./core/created-secrets";
import type { Declared, KubeObject } from "./core/declared";
import type { SecretName } from "./core/secret-text";
import { declareKube } from "./core/order";
import { setWebhookFailurePolicy } from "./core/patch";
import type { UpstreamId } from "./core/upstream";
import { githubResources } from "./github/resources";
import { infraObjects } from "./infra/objects";
import { openstackResources } from "./openstack/resources";
import { prowObjects } from "./prow/objects";

export type Upstream = Record<UpstreamId, KubeObject[]>;

export interface LayerSpec {
  readonly name: LayerName;
  /** Component type token. */
  readonly type: string;
  /** The cluster a Kubernetes layer applies to: the bootstrap/management cluster or the workload cluster. */
  readonly cluster?: "management" | "workload";
  readonly upstream: readonly UpstreamId[];
  readonly declare: (config: StackConfig, upstream: Upstream) => Declared[];
}

const CLOUD_PROVIDER: UpstreamId[] = [
  "openstack-ccm-roles",
  "openstack-ccm-role-bindings",
  "openstack-ccm-ds",
  "cinder-csi-controllerplugin-rbac",
  "cinder-csi-controllerplugin",
  "cinder-csi-nodeplugin-rbac",
  "cinder-csi-nodeplugin",
  "csi-cinder-driver",
];

export const LAYER_SPECS: Record<LayerName, LayerSpec> = {
  openstack: { name: "openstack", type: "metal3:prow:OpenStack", upstream: [], declare: (c) => openstackResources(c) },
  github: { name: "github", type: "metal3:prow:GitHub", upstream: [], declare: (c) => githubResources(c) },
  capi: {
    name: "capi",
    type: "metal3:prow:ClusterApi",
    cluster: "management",
    upstream: ["cert-manager", "cluster-api-operator"],
    declare: (c, u) => declareKube(capiObjects(c, { certManager: u["cert-manager"], operator: u["cluster-api-operator"] })),
  },
  cluster: { name: "cluster", type: "metal3:prow:Cluster", cluster: "management", upstream: [], declare: (c) => declareKube(clusterObjects(c)) },
  "cluster-resources": {
    name: "cluster-resources",
    type: "metal3:prow:ClusterResources",
    cluster: "workload",
    upstream: ["calico", ...CLOUD_PROVIDER],
    declare: (c, u) => declareKube(clusterResourcesObjects(c, { calico: u.calico, cloudProvider: CLOUD_PROVIDER.flatMap((id) => u[id]) })),
  },
  infra: { name: "infra", type: "metal3:prow:Infra", cluster: "workload", upstream: ["ingress-nginx"], declare: (c, u) => declareKube(infraObjects(c, u["ingress-nginx"])) },
  prow: { name: "prow", type: "metal3:prow:Prow", cluster: "workload", upstream: ["prowjob-crd"], declare: (c, u) => declareKube(prowObjects(c, u["prowjob-crd"])) },
};

/**
 * What a layer declares under this config (test-bed overrides applied to its Kubernetes
 * objects), without the creators of secrets the stack config sets itself.
 */
export function declareLayer(spec: LayerSpec, c: StackConfig, upstream: Upstream, overridden: ReadonlySet<SecretName> = new Set()): Declared[] {
  const policy = c.kubernetes?.webhookFailurePolicy;
  const declared = withoutOverriddenCreators(spec.name, spec.declare(c, upstream), overridden);
  if (!policy) return declared;
  return declared.map((d) => (d.kind === "kubernetes" ? { ...d, object: setWebhookFailurePolicy([d.object], policy)[0] } : d));
}

/** The layers a stack declares, in dependency order. */
export const enabledLayers = (c: StackConfig): LayerSpec[] => LAYERS.filter((l) => !c.layers || c.layers.includes(l)).map((l) => LAYER_SPECS[l]);

/** The enabled layers after `layer` in the dependency chain (github is outside it): their components depend on its resources. */
export const dependentLayers = (c: StackConfig, layer: LayerName): LayerName[] =>
  enabledLayers(c)
    .map((s) => s.name)
    .filter((l) => l !== "github" && LAYERS.indexOf(l) > LAYERS.indexOf(layer));

export const upstreamFor = (layers: LayerSpec[]): UpstreamId[] => [...new Set(layers.flatMap((l) => l.upstream))];
