/**
 * Plays the cluster-api-operator in a bootstrap cluster. Once the capi layer's provider objects
 * exist, it installs the providers as the operator would — here with the real `clusterctl init`
 * from the stack's clusterctl configuration (the local cloud's provider repository: CRDs and
 * clusterctl's inventory, what `clusterctl move` needs later) — and reports each provider
 * installed and Ready at the version its object asks for.
 */
import type { StackConfig } from "../../../config/schema";
import { providers } from "../../../stacks/capi/objects";
import { apiNow } from "./ticker";
import type { Kube } from "../../../stacks/core/kube-client";
import { clusterctlInit, providersInstalled } from "../lifecycle/bootstrap-tools";

const OPERATOR = "/apis/operator.cluster.x-k8s.io/v1alpha2";

/** One pass of the operator over the cluster `kubeconfig` reaches; `config` names the providers and clusterctl's configuration. */
export async function playOperator(kube: Kube, kubeconfig: string, config: StackConfig): Promise<void> {
  const declared = providers(config).filter((p) => p.kind !== "Namespace");
  const path = (p: (typeof declared)[number]) => `${OPERATOR}/namespaces/${p.metadata.namespace}/${p.kind.toLowerCase()}s/${p.metadata.name}`;
  const live = await Promise.all(declared.map(async (p) => ({ p, obj: await kube.get(path(p)).catch(() => undefined) })));
  if (!live.some((l) => l.obj)) return;
  if (!(await providersInstalled(kube, config))) await clusterctlInit(kubeconfig, config);
  for (const { p, obj } of live) {
    if (!obj) continue;
    const version = (obj.spec as { version: string }).version;
    if ((obj.status as { installedVersion?: string } | undefined)?.installedVersion === version) continue;
    const status = { installedVersion: version, conditions: [{ type: "ProviderInstalled", status: "True", lastTransitionTime: apiNow() }, { type: "Ready", status: "True", lastTransitionTime: apiNow() }] };
    await kube.apply(`${path(p)}/status`, { apiVersion: obj.apiVersion as string, kind: obj.kind as string, metadata: { name: p.metadata.name, namespace: p.metadata.namespace }, status }, "cluster-api-operator");
  }
}
