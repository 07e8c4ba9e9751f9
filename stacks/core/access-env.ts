/**
 * How the CLI hands the program the access path it opened (the program itself never opens
 * one): a kubeconfig file per cluster that goes through the bastion tunnel (or, during a
 * bastion swap, straight to the load balancer), and the temporary source addresses the team
 * store lists for the API load balancer. Paths are stable per stack, so the providers' inputs
 * do not change from one run to the next.
 */
import type { ClusterRole } from "../../config/schema";

export const ACCESS_ENV = {
  kubeconfig: (role: ClusterRole) => `PROW_OPS_ACCESS_KUBECONFIG_${role.toUpperCase()}`,
  temporaryCidrs: "PROW_OPS_TEMPORARY_CIDRS",
} as const;

/** The kubeconfig path the CLI opened for this cluster, if any. */
export const accessKubeconfig = (role: ClusterRole, env: NodeJS.ProcessEnv = process.env): string | undefined => env[ACCESS_ENV.kubeconfig(role)] || undefined;

/** allowedCIDRs plus the temporary ones the CLI passed (each once, in order). */
export function withTemporaryCidrs(allowed: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const temporary = (env[ACCESS_ENV.temporaryCidrs] ?? "").split(",").filter(Boolean);
  return [...new Set([...allowed, ...temporary])];
}
