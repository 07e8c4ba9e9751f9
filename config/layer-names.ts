/** The seven layers, in dependency order. Its own module: the CLI's help needs it without zod. */
export const LAYERS = ["openstack", "github", "capi", "cluster", "cluster-resources", "infra", "prow"] as const;
export type LayerName = (typeof LAYERS)[number];

/** The cluster each Kubernetes layer is applied to (the others reach clouds, not clusters). */
export const LAYER_CLUSTER: Partial<Record<LayerName, "management" | "workload">> = {
  capi: "management",
  cluster: "management",
  "cluster-resources": "workload",
  infra: "workload",
  prow: "workload",
};
