/** Fast manifest parsing (js-yaml); comment-preserving edits of Prow config use `yaml` elsewhere. */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import type { KubeObject } from "./declared";
import { ManifestError } from "./errors";
import { cacheDir, writeAtomic } from "./paths";

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

/** Parsed manifests by the sha256 of their bytes: YAML parsing is most of a render's reading. */
const parsedCacheDir = (): string => cacheDir("parsed");

/** Reads a manifest file of the project; a file read before with the same bytes is not parsed again. */
export function readManifests(path: string): KubeObject[] {
  const bytes = readFileSync(path);
  const cached = join(parsedCacheDir(), `${createHash("sha256").update(bytes).digest("hex")}.json`);
  try {
    return JSON.parse(readFileSync(cached, "utf8")) as KubeObject[];
  } catch {
    const objects = parseManifests(bytes.toString("utf8"), path);
    try {
      mkdirSync(parsedCacheDir(), { recursive: true });
      writeAtomic(cached, JSON.stringify(objects));
    } catch {
      // A cache that cannot be written only costs the next run a parse.
    }
    return objects;
  }
}
