/**
 * Where a secret goes: every declaration whose inputs hold a reference to it (a Kubernetes
 * Secret, a webhook, a command's environment), found in the layers' declarations, so a
 * rotation lists exactly what it changes. And the workloads that read those Secrets from
 * their pod template: they read files and variables at start, so they are restarted.
 */
import type { LayerName } from "../../../config/layer-names";
import type { Declared, KubeObject } from "../../../stacks/core/declared";
import { type SecretName, SecretRef, SecretText } from "../../../stacks/core/secret-text";
import type { LayerSpec } from "../../../stacks/layers";

export interface Consumer {
  layer: LayerName;
  /** "Secret prow/hmac-token", "RepositoryWebhook webhook-Nordix-metal3-dev-tools". */
  what: string;
  /** For a Kubernetes Secret: where to read it back. */
  secret?: { cluster: "management" | "workload"; namespace: string; name: string };
}

export interface RestartTarget {
  layer: LayerName;
  cluster: "management" | "workload";
  kind: "Deployment" | "DaemonSet" | "StatefulSet";
  namespace: string;
  name: string;
}

export type DeclaredLayers = ReadonlyArray<{ spec: LayerSpec; declared: Declared[] }>;

function refersTo(value: unknown, names: ReadonlySet<SecretName>): boolean {
  if (value instanceof SecretRef) return names.has(value.name);
  if (value instanceof SecretText) return value.parts.some((p) => refersTo(p, names));
  if (Array.isArray(value)) return value.some((v) => refersTo(v, names));
  if (value && typeof value === "object") return Object.values(value).some((v) => refersTo(v, names));
  return false;
}

const typeName = (token: string) => token.split(":").pop() as string;

export function secretConsumers(layers: DeclaredLayers, names: readonly SecretName[]): Consumer[] {
  const wanted = new Set(names);
  const out: Consumer[] = [];
  for (const { spec, declared } of layers) {
    for (const d of declared) {
      if (d.kind === "kubernetes") {
        if (!refersTo(d.object, wanted)) continue;
        const o = d.object;
        const where = [o.metadata.namespace, o.metadata.name].filter(Boolean).join("/");
        out.push({ layer: spec.name, what: `${o.kind} ${where}`, ...(o.kind === "Secret" && spec.cluster ? { secret: { cluster: spec.cluster, namespace: o.metadata.namespace ?? "default", name: o.metadata.name } } : {}) });
      } else if (refersTo(d.inputs, wanted)) {
        out.push({ layer: spec.name, what: `${typeName(d.type)} ${d.name}` });
      }
    }
  }
  return out;
}

const WORKLOADS = new Set(["Deployment", "DaemonSet", "StatefulSet"]);

interface PodSpec {
  volumes?: Array<{ secret?: { secretName?: string }; projected?: { sources?: Array<{ secret?: { name?: string } }> } }>;
  containers?: Container[];
  initContainers?: Container[];
}
interface Container {
  env?: Array<{ valueFrom?: { secretKeyRef?: { name?: string } } }>;
  envFrom?: Array<{ secretRef?: { name?: string } }>;
}

/** The Secret names a pod template reads: volumes, projected volumes, env and envFrom. */
export function secretsReadBy(o: KubeObject): string[] {
  const pod = ((o.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec ?? {}) as PodSpec;
  const names = [
    ...(pod.volumes ?? []).flatMap((v) => [v.secret?.secretName, ...(v.projected?.sources ?? []).map((s) => s.secret?.name)]),
    ...[...(pod.containers ?? []), ...(pod.initContainers ?? [])].flatMap((c) => [...(c.env ?? []).map((e) => e.valueFrom?.secretKeyRef?.name), ...(c.envFrom ?? []).map((e) => e.secretRef?.name)]),
  ];
  return [...new Set(names.filter((n): n is string => Boolean(n)))];
}

export function restartTargets(layers: DeclaredLayers, consumers: readonly Consumer[]): RestartTarget[] {
  const changed = new Set(consumers.flatMap((c) => (c.secret ? [`${c.secret.cluster}/${c.secret.namespace}/${c.secret.name}`] : [])));
  const out: RestartTarget[] = [];
  for (const { spec, declared } of layers) {
    if (!spec.cluster) continue;
    for (const d of declared) {
      if (d.kind !== "kubernetes" || !WORKLOADS.has(d.object.kind)) continue;
      const ns = d.object.metadata.namespace ?? "default";
      if (secretsReadBy(d.object).some((s) => changed.has(`${spec.cluster}/${ns}/${s}`))) {
        out.push({ layer: spec.name, cluster: spec.cluster, kind: d.object.kind as RestartTarget["kind"], namespace: ns, name: d.object.metadata.name });
      }
    }
  }
  return out;
}
