/** The seven layers, in dependency order. Its own module: the CLI's help needs it without zod. */
export const LAYERS = ["openstack", "github", "capi", "cluster", "cluster-resources", "infra", "prow"] as const;
export type LayerName = (typeof LAYERS)[number];
