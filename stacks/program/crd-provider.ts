/**
 * What a CustomResourceDefinition resource does, run by the engine's Node.js dynamic-provider
 * plugin (never in the program). The state keeps the CRD's name and the sha256 of its
 * manifest; the manifest itself is read from the object store the program filled in the same
 * run (create, update and diff always follow the program's registration), so the schema —
 * 72% of the state when CRDs went through the kubernetes provider, each stored three times —
 * is never in the state. Drift is found as `kubectl diff --server-side` finds it: the live
 * object against what a dry-run apply of the manifest would make of it.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { connect, type Kube, type KubeObject } from "../core/kube-client";

/** The resource's inputs and outputs (outputs add nothing but what the apply confirmed). */
export interface CrdProps {
  /** metadata.name of the CRD. */
  name: string;
  /** sha256 of the manifest's JSON: the resource changes exactly when this does. */
  digest: string;
  /** Folder of <digest>.json manifests, written by the program. */
  store: string;
  /** Kubeconfig contents (secret), or a path to one; neither means the ambient kubeconfig. */
  kubeconfig?: string;
  kubeconfigPath?: string;
  context?: string;
}

export const FIELD_MANAGER = "prow-ops";
const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const WAIT_MS = 5 * 60_000;

export function digestOf(manifest: KubeObject): string {
  return createHash("sha256").update(JSON.stringify(manifest)).digest("hex");
}

export function manifestOf(p: Pick<CrdProps, "store" | "digest" | "name">): KubeObject {
  let text: string;
  try {
    text = readFileSync(join(p.store, `${p.digest}.json`), "utf8");
  } catch {
    throw new Error(`the manifest of CRD ${p.name} (sha256 ${p.digest}) is not in ${p.store}: run the program again (prow-ops preview or up writes it)`);
  }
  if (createHash("sha256").update(text).digest("hex") !== p.digest) throw new Error(`${join(p.store, `${p.digest}.json`)} does not match its sha256: delete it and run again`);
  return JSON.parse(text) as KubeObject;
}

/** What a manifest declares of a CRD (status is the server's): two objects differ for the stack when this does. */
export function declaredPart(o: KubeObject): unknown {
  const { labels, annotations } = o.metadata as { labels?: unknown; annotations?: unknown };
  return { spec: o.spec, labels: labels ?? {}, annotations: annotations ?? {} };
}

function cluster(p: CrdProps): Promise<Kube> {
  return connect({ inline: p.kubeconfig, kubeconfig: p.kubeconfigPath, context: p.context });
}

async function established(kube: Kube, name: string): Promise<void> {
  await kube.waitFor(CRDS, (o) => o.metadata.name === name && ((o.status?.conditions ?? []) as Array<{ type: string; status: string }>).some((c) => c.type === "Established" && c.status === "True"), {
    what: `CRD ${name} to be established`,
    timeoutMs: WAIT_MS,
  });
}

async function apply(p: CrdProps): Promise<{ id: string; outs: CrdProps }> {
  const kube = await cluster(p);
  await kube.apply(`${CRDS}/${p.name}`, manifestOf(p), FIELD_MANAGER);
  await established(kube, p.name);
  return { id: p.name, outs: p };
}

export const create = apply;

export async function update(_id: string, _olds: CrdProps, news: CrdProps): Promise<{ outs: CrdProps }> {
  return { outs: (await apply(news)).outs };
}

/** Changes when the manifest changed, or when the cluster does not hold it (deleted, edited, or a new cluster after a move). */
export async function diff(_id: string, olds: CrdProps, news: CrdProps): Promise<{ changes: boolean; replaces: string[] }> {
  if (olds.name !== news.name) return { changes: true, replaces: ["name"] };
  if (olds.digest !== news.digest) return { changes: true, replaces: [] };
  const kube = await cluster(news);
  const path = `${CRDS}/${news.name}`;
  const live = await kube.get(path);
  if (!live) return { changes: true, replaces: [] };
  const applied = await kube.apply(path, manifestOf(news), FIELD_MANAGER, { dryRun: true });
  return { changes: !isDeepStrictEqual(declaredPart(applied), declaredPart(live)), replaces: [] };
}

/** Refresh: gone from the cluster → gone from the state; otherwise kept (diff compares the content). */
export async function read(id: string, props: CrdProps): Promise<{ id?: string; props?: CrdProps }> {
  const live = await (await cluster(props)).get(`${CRDS}/${id}`);
  return live ? { id, props } : {};
}

export async function remove(id: string, props: CrdProps): Promise<void> {
  const kube = await cluster(props);
  if (await kube.remove(`${CRDS}/${id}`)) await kube.waitDeleted(CRDS, id, { timeoutMs: WAIT_MS });
}
