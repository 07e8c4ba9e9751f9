/**
 * Pure manifest transformations: the reference's kustomize patches, expressed as functions
 * so that every patched object is visible offline and tested.
 */
import type { KubeObject } from "./declared";
import { SecretText } from "./secret-text";

type Json = Record<string, unknown>;

/**
 * A deep copy, so that patches never change the cached upstream objects. SecretText leaves
 * are immutable and kept as they are (structuredClone would strip their class).
 */
export function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (value === null || typeof value !== "object" || value instanceof SecretText) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = clone(v);
  return out as T;
}

export function podSpecOf(o: KubeObject): Json | undefined {
  const spec = o.spec as Json | undefined;
  if (!spec) return undefined;
  if (o.kind === "CronJob") return (((spec.jobTemplate as Json)?.spec as Json)?.template as Json)?.spec as Json;
  return (spec.template as Json | undefined)?.spec as Json | undefined;
}

export interface Placement {
  toleration: { key: string; operator?: string; value?: string; effect: string };
  nodeSelector: Record<string, string>;
  /** Replace existing tolerations instead of appending (the JSON patch `add .../tolerations: []`). */
  resetTolerations?: boolean;
  /** Replace the existing node selector (the JSON patch `add .../nodeSelector: {}`). */
  resetNodeSelector?: boolean;
}

/** Adds a toleration and node selector entries to a workload's pod template. */
export function place(o: KubeObject, p: Placement): KubeObject {
  const out = clone(o);
  const pod = podSpecOf(out);
  if (!pod) throw new Error(`${o.kind} ${o.metadata.name} has no pod template`);
  const existing = p.resetTolerations ? [] : ((pod.tolerations as unknown[]) ?? []);
  pod.tolerations = [...existing, { ...p.toleration }];
  pod.nodeSelector = { ...(p.resetNodeSelector ? {} : ((pod.nodeSelector as Json) ?? {})), ...p.nodeSelector };
  return out;
}

/** Merges resource requests into one container (a strategic-merge patch keyed by container name). */
export function setRequests(o: KubeObject, container: string, requests: Record<string, string>): KubeObject {
  const out = clone(o);
  const containers = (podSpecOf(out)?.containers as Json[]) ?? [];
  const c = containers.find((x) => x.name === container);
  if (!c) throw new Error(`${o.kind} ${o.metadata.name} has no container ${container}`);
  const resources = (c.resources as Json) ?? {};
  c.resources = { ...resources, requests: { ...((resources.requests as Json) ?? {}), ...requests } };
  return out;
}

/** Replaces each container arg that starts with one of the given `--flag=` prefixes. */
export function setArgs(o: KubeObject, container: string, args: Record<string, string>): KubeObject {
  const out = clone(o);
  const c = ((podSpecOf(out)?.containers as Json[]) ?? []).find((x) => x.name === container);
  if (!c) throw new Error(`${o.kind} ${o.metadata.name} has no container ${container}`);
  const list = (c.args as string[]) ?? [];
  for (const [flag, value] of Object.entries(args)) {
    const i = list.findIndex((a) => a.startsWith(`${flag}=`));
    if (i < 0) throw new Error(`${o.kind} ${o.metadata.name}/${container} has no ${flag} argument`);
    list[i] = `${flag}=${value}`;
  }
  return out;
}

/** Rewrites container images: `rewrite(image)` returns the new reference or undefined to keep it. */
export function setImages(o: KubeObject, rewrite: (image: string) => string | undefined): KubeObject {
  const pod = podSpecOf(o);
  if (!pod) return o;
  const out = clone(o);
  const outPod = podSpecOf(out) as Json;
  for (const key of ["initContainers", "containers"]) {
    for (const c of (outPod[key] as Json[]) ?? []) {
      const next = rewrite(c.image as string);
      if (next) c.image = next;
    }
  }
  return out;
}

/** Shallow-merges metadata annotations. */
export const annotate = (o: KubeObject, annotations: Record<string, string>): KubeObject => {
  const out = clone(o);
  out.metadata.annotations = { ...(out.metadata.annotations ?? {}), ...annotations };
  return out;
};

/** Applies `fn` to the objects `match` selects, leaving the others untouched. */
export const patchWhere = (objects: KubeObject[], match: (o: KubeObject) => boolean, fn: (o: KubeObject) => KubeObject): KubeObject[] =>
  objects.map((o) => (match(o) ? fn(o) : o));

export const isKind =
  (...kinds: string[]) =>
  (o: KubeObject) =>
    kinds.includes(o.kind);

export const named =
  (kind: string, name: string, namespace?: string) =>
  (o: KubeObject) =>
    o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace);

/** The object at `path` below `root`, created empty where missing. */
function objectAt(root: Json, path: string[]): Json {
  let node = root;
  for (const key of path) {
    if (node[key] === undefined || node[key] === null) node[key] = {};
    node = node[key] as Json;
  }
  return node;
}

/** Where kustomize's label transformer (with includeSelectors) puts labels, by kind. */
const LABEL_PATHS: Record<string, string[][]> = {
  Service: [["spec", "selector"]],
  Deployment: [["spec", "selector", "matchLabels"], ["spec", "template", "metadata", "labels"]],
  ReplicaSet: [["spec", "selector", "matchLabels"], ["spec", "template", "metadata", "labels"]],
  DaemonSet: [["spec", "selector", "matchLabels"], ["spec", "template", "metadata", "labels"]],
  StatefulSet: [["spec", "selector", "matchLabels"], ["spec", "template", "metadata", "labels"]],
  Job: [["spec", "template", "metadata", "labels"]],
  CronJob: [["spec", "jobTemplate", "metadata", "labels"], ["spec", "jobTemplate", "spec", "template", "metadata", "labels"]],
  PodDisruptionBudget: [["spec", "selector", "matchLabels"]],
  NetworkPolicy: [["spec", "podSelector", "matchLabels"]],
};

/**
 * Kustomize's `labels: includeSelectors: true`: the labels go on every object's metadata and
 * on the selectors and pod templates of the kinds that have them.
 */
export function addCommonLabels(objects: KubeObject[], labels: Record<string, string>): KubeObject[] {
  return objects.map((o) => {
    const out = clone(o);
    for (const path of [["metadata", "labels"], ...(LABEL_PATHS[out.kind] ?? [])]) Object.assign(objectAt(out as Json, path), labels);
    return out;
  });
}

/** Sets failurePolicy on every webhook of the admission webhook configurations. */
export const setWebhookFailurePolicy = (objects: KubeObject[], policy: string): KubeObject[] =>
  patchWhere(objects, isKind("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"), (o) => {
    const out = clone(o);
    out.webhooks = ((out.webhooks as Json[]) ?? []).map((w) => ({ ...w, failurePolicy: policy }));
    return out;
  });
