import type { Placement } from "./patch";

/** The infra node pool: tainted NoSchedule and labelled, so only placed workloads run there. */
export const INFRA_ROLE = "node-role.kubernetes.io/infra";

export const infraPlacement = (resetTolerations: boolean): Placement => ({
  toleration: { key: INFRA_ROLE, operator: "Exists", effect: "NoSchedule" },
  nodeSelector: { [INFRA_ROLE]: "" },
  resetTolerations,
});
