/**
 * Turns a layer's Kubernetes objects into declarations with the dependencies a single `up`
 * needs: namespaces before what lives in them, CRDs before their custom resources, and
 * webhook-guarded objects after the webhook's configuration and the Deployments behind it —
 * so nothing has to be "applied again".
 */
import type { DeclaredKube, KubeObject } from "./declared";
import { kubeName } from "./declared";

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0] : "");
const gk = (group: string, kind: string) => `${group}/${kind}`;

interface WebhookGuard {
  /** API groups the webhook intercepts ("*" for all). */
  groups: Set<string>;
  /** Declarations that must exist (and be ready) before guarded objects. */
  prerequisites: string[];
}

function webhookGuards(objects: KubeObject[], names: Map<KubeObject, string>): WebhookGuard[] {
  const guards: WebhookGuard[] = [];
  for (const o of objects) {
    if (o.kind !== "ValidatingWebhookConfiguration" && o.kind !== "MutatingWebhookConfiguration") continue;
    const hooks = (o.webhooks as Array<{ clientConfig?: { service?: { namespace?: string } }; rules?: Array<{ apiGroups?: string[] }> }>) ?? [];
    const groups = new Set(hooks.flatMap((h) => (h.rules ?? []).flatMap((r) => r.apiGroups ?? [])));
    const serviceNamespaces = new Set(hooks.map((h) => h.clientConfig?.service?.namespace).filter(Boolean));
    // The webhook answers only once its server runs: wait for every Deployment of its namespace.
    const servers = objects.filter((d) => d.kind === "Deployment" && serviceNamespaces.has(d.metadata.namespace));
    guards.push({ groups, prerequisites: [o, ...servers].map((x) => names.get(x) as string) });
  }
  return guards;
}

const isGuardInfrastructure = (o: KubeObject) =>
  ["CustomResourceDefinition", "Namespace", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"].includes(o.kind) ||
  ["", "apps", "rbac.authorization.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io", "policy"].includes(groupOf(o.apiVersion));

export function declareKube(objects: KubeObject[]): DeclaredKube[] {
  const names = new Map<KubeObject, string>();
  const seen = new Set<string>();
  for (const o of objects) {
    const name = kubeName(o);
    if (seen.has(name)) throw new Error(`two objects share the name ${name}`);
    seen.add(name);
    names.set(o, name);
  }
  const namespaces = new Map(objects.filter((o) => o.kind === "Namespace").map((o) => [o.metadata.name, names.get(o) as string]));
  const crds = new Map<string, string>();
  for (const o of objects) {
    if (o.kind !== "CustomResourceDefinition") continue;
    const spec = o.spec as { group: string; names: { kind: string } };
    crds.set(gk(spec.group, spec.names.kind), names.get(o) as string);
  }
  const guards = webhookGuards(objects, names);

  return inDependencyOrder(objects.map((o) => {
    const deps = new Set<string>();
    const ns = o.metadata.namespace;
    if (ns && namespaces.has(ns)) deps.add(namespaces.get(ns) as string);
    const crd = crds.get(gk(groupOf(o.apiVersion), o.kind));
    if (crd) deps.add(crd);
    if (!isGuardInfrastructure(o)) {
      const group = groupOf(o.apiVersion);
      for (const g of guards) if (g.groups.has(group) || g.groups.has("*")) for (const p of g.prerequisites) deps.add(p);
    }
    const self = names.get(o) as string;
    deps.delete(self);
    return { kind: "kubernetes", name: self, object: o, dependsOn: [...deps] } as DeclaredKube;
  }));
}

/**
 * Orders declarations so that each comes after everything it depends on (stable otherwise):
 * a resource can only name, as a dependency, a resource that already exists in the program.
 */
export function inDependencyOrder<T extends { name: string; dependsOn: readonly string[] }>(declared: T[]): T[] {
  const byName = new Map(declared.map((d) => [d.name, d]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: T[] = [];
  const visit = (d: T) => {
    if (done.has(d.name)) return;
    if (visiting.has(d.name)) throw new Error(`dependency cycle through ${d.name}`);
    visiting.add(d.name);
    for (const dep of d.dependsOn) {
      const target = byName.get(dep);
      if (!target) throw new Error(`${d.name} depends on ${dep}, which is not declared`);
      visit(target);
    }
    visiting.delete(d.name);
    done.add(d.name);
    out.push(d);
  };
  for (const d of declared) visit(d);
  return out;
}
