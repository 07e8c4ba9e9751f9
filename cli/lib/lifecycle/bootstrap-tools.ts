/**
 * The tools of a bootstrap: kind (the throw-away management cluster) and clusterctl (the
 * workload kubeconfig, the providers' installation on the workload cluster, the move). Every
 * kubeconfig reaches them as a 0600 file that lives only as long as the command.
 */
import { load } from "js-yaml";
import type { StackConfig } from "../../../config/schema";
import { UsageError } from "../../../stacks/core/errors";
import type { Kube } from "../../../stacks/core/kube-client";
import { registerSecret } from "../mask";
import { runTool, withSecretFile } from "../tools/run";

/** The kind cluster of a stack's bootstrap. */
export const kindClusterName = (stack: string) => `prow-ops-bootstrap-${stack}`;

/** A kubeconfig on one line (JSON is YAML): how it is kept as a stack secret. Its credentials are masked in every message from now on. */
export function kubeconfigLine(text: string): string {
  const doc = load(text) as { clusters?: unknown; users?: Array<{ user?: Record<string, unknown> }> } | undefined;
  if (!doc || typeof doc !== "object" || !Array.isArray(doc.clusters)) throw new UsageError("the kubeconfig names no cluster");
  for (const u of doc.users ?? []) for (const key of ["token", "client-key-data", "password"]) if (typeof u.user?.[key] === "string") registerSecret(u.user[key] as string);
  return JSON.stringify(doc);
}

export async function kindClusters(signal?: AbortSignal): Promise<string[]> {
  const res = await runTool("kind", { args: ["get", "clusters"], timeoutMs: 60_000, signal });
  return res.stdout.split("\n").map((l) => l.trim()).filter(Boolean);
}

/** Creates the kind cluster and returns its kubeconfig (never left in ~/.kube/config or elsewhere). */
export async function kindCreate(name: string, signal?: AbortSignal): Promise<string> {
  if (!(await kindClusters(signal)).includes(name)) {
    await withSecretFile("kind.kubeconfig", "", (file) => runTool("kind", { args: ["create", "cluster", "--name", name, "--kubeconfig", file, "--wait", "5m"], timeoutMs: 15 * 60_000, signal }));
  }
  return kindKubeconfig(name, signal);
}

export async function kindKubeconfig(name: string, signal?: AbortSignal): Promise<string> {
  return (await runTool("kind", { args: ["get", "kubeconfig", "--name", name], timeoutMs: 60_000, signal })).stdout;
}

export async function kindDelete(name: string, signal?: AbortSignal): Promise<void> {
  await withSecretFile("kind.kubeconfig", "", (file) => runTool("kind", { args: ["delete", "cluster", "--name", name, "--kubeconfig", file], timeoutMs: 10 * 60_000, signal }));
}

const clusterctlEnv = { CLUSTERCTL_DISABLE_VERSIONCHECK: "true" };
/** The stack's clusterctl configuration file, when it names one. */
const configArgs = (c: StackConfig) => (c.kubernetes?.clusterctlConfig ? ["--config", c.kubernetes.clusterctlConfig] : []);

/** `clusterctl get kubeconfig <cluster>`: the workload cluster's admin kubeconfig, from the management cluster. */
export async function clusterctlGetKubeconfig(management: string, c: StackConfig, signal?: AbortSignal): Promise<string> {
  return withSecretFile("management.kubeconfig", management, async (file) => {
    const res = await runTool("clusterctl", { args: ["get", "kubeconfig", c.cluster.name, "--namespace", c.cluster.namespace, "--kubeconfig", file, ...configArgs(c)], env: { ...process.env, ...clusterctlEnv } as Record<string, string>, timeoutMs: 120_000, signal });
    return res.stdout;
  });
}

/** The providers `clusterctl init` installs, at the stack's pinned versions. */
export function initProviders(c: StackConfig): Array<[flag: string, provider: string, inventoryName: string]> {
  return [
    ["--core", `cluster-api:${c.versions.clusterApi}`, "cluster-api"],
    ["--bootstrap", `kubeadm:${c.versions.clusterApi}`, "bootstrap-kubeadm"],
    ["--control-plane", `kubeadm:${c.versions.clusterApi}`, "control-plane-kubeadm"],
    ["--infrastructure", `openstack:${c.versions.capo}`, "infrastructure-openstack"],
  ];
}

/** Whether clusterctl's inventory in this cluster lists every provider at its pinned version. */
export async function providersInstalled(kube: Kube, c: StackConfig): Promise<boolean> {
  const inventory = await kube.list("/apis/clusterctl.cluster.x-k8s.io/v1alpha3/providers");
  return initProviders(c).every(([, provider, name]) => inventory.some((p) => p.metadata.name === name && (p as { version?: string }).version === provider.split(":")[1]));
}

export async function clusterctlInit(workload: string, c: StackConfig, signal?: AbortSignal): Promise<void> {
  await withSecretFile("workload.kubeconfig", workload, (file) =>
    runTool("clusterctl", {
      args: ["init", "--kubeconfig", file, ...initProviders(c).flatMap((p) => p.slice(0, 2)), "--wait-providers", ...configArgs(c)],
      env: { ...process.env, ...clusterctlEnv } as Record<string, string>,
      timeoutMs: 20 * 60_000,
      signal,
    }),
  );
}

/** `clusterctl move` of the stack's namespace from the bootstrap cluster to the workload cluster. */
export async function clusterctlMove(from: string, to: string, c: StackConfig, signal?: AbortSignal): Promise<void> {
  await withSecretFile("from.kubeconfig", from, (fromFile) =>
    withSecretFile("to.kubeconfig", to, (toFile) =>
      runTool("clusterctl", {
        args: ["move", "--kubeconfig", fromFile, "--to-kubeconfig", toFile, "--namespace", c.cluster.namespace, ...configArgs(c)],
        env: { ...process.env, ...clusterctlEnv } as Record<string, string>,
        timeoutMs: 20 * 60_000,
        signal,
      }),
    ),
  );
}
