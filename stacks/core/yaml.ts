/** Fast manifest parsing (js-yaml); comment-preserving edits of Prow config use `yaml` elsewhere. */
import { readFileSync } from "node:fs";
import { loadAll } from "js-yaml";
import type { KubeObject } from "./declared";
import { ManifestError } from "./errors";

/** Parses a multi-document manifest; drops empty documents and unrolls lists (`kind: List`, `ConfigMapList`, ...). */
export function parseManifests(text: string, source: string): KubeObject[] {
  let docs: unknown[];
  try {
    docs = loadAll(text, undefined, { filename: source });
  } catch (err) {
    throw new ManifestError(`cannot parse ${source}: ${(err as Error).message}`, { cause: err });
  }
  const out: KubeObject[] = [];
  for (const doc of docs) {
    if (doc === null || doc === undefined) continue;
    const obj = doc as KubeObject & { items?: KubeObject[] };
    if (obj.kind?.endsWith("List") && Array.isArray(obj.items)) out.push(...obj.items);
    else if (typeof obj.kind === "string" && typeof obj.apiVersion === "string") out.push(obj);
    else throw new ManifestError(`${source}: a document has no apiVersion/kind`);
  }
  return out;
}

export const readManifests = (path: string): KubeObject[] => parseManifests(readFileSync(path, "utf8"), path);
