/**
 * Third-party manifests: listed once in config/upstream.lock.json (URL + sha256), fetched at
 * run time, verified, and cached by hash. A mirror folder may hold them under any path: a
 * file is used when its sha256 matches a lock entry. A file whose hash does not match is
 * never used.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import lock from "../../config/upstream.lock.json";
import type { KubeObject } from "./declared";
import { ManifestError, UsageError } from "./errors";
import { cacheDir, writeAtomic } from "./paths";
import { parseManifests } from "./yaml";

export type UpstreamId = Exclude<keyof typeof lock, "//">;
export interface LockEntry {
  url: string;
  sha256: string;
}

export const UPSTREAM_LOCK: Record<UpstreamId, LockEntry> = Object.fromEntries(
  Object.entries(lock).filter(([id]) => id !== "//"),
) as Record<UpstreamId, LockEntry>;

export interface FetchOptions {
  /** Folder searched (recursively) for files whose sha256 matches a lock entry. */
  mirror?: string;
  /** Cache folder; defaults to $PROW_OPS_CACHE or ~/.cache/prow-ops/manifests. */
  cacheDir?: string;
  /** Download function, replaceable in tests. */
  download?: (url: string) => Promise<Buffer>;
}

export const sha256 = (data: Buffer | string): string => createHash("sha256").update(data).digest("hex");

export const defaultCacheDir = (): string => cacheDir("manifests");

/** Maps sha256 -> path for every regular file under the mirror (only hashes the lock asks for are kept). */
function indexMirror(dir: string, wanted: Set<string>): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        const h = sha256(readFileSync(p));
        if (wanted.has(h) && !found.has(h)) found.set(h, p);
      }
    }
  };
  walk(dir);
  return found;
}

async function httpDownload(url: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow" });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ManifestError(
      `cannot download ${url} (${cause?.code ?? cause?.message ?? (err as Error).message}): this machine may be offline. Serve the pinned manifests from a folder with --mirror DIR or PROW_OPS_MIRROR=DIR (any file whose sha256 matches config/upstream.lock.json is used).`,
      { cause: err },
    );
  }
  if (!res.ok) throw new ManifestError(`download of ${url} failed: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}


/**
 * Returns the parsed objects of each requested manifest. Parsed JSON is cached beside the
 * verified bytes so a warm run skips YAML parsing entirely.
 */
export async function loadUpstream(ids: readonly UpstreamId[], opts: FetchOptions = {}): Promise<Record<UpstreamId, KubeObject[]>> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  mkdirSync(cacheDir, { recursive: true });
  const mirrorDir = opts.mirror ?? process.env.PROW_OPS_MIRROR;
  // Checked even when the cache would serve everything: a wrong --mirror is a mistake to report.
  if (mirrorDir && !(existsSync(mirrorDir) && statSync(mirrorDir).isDirectory())) {
    throw new UsageError(`mirror folder ${mirrorDir} does not exist; pass an existing folder to --mirror or PROW_OPS_MIRROR`);
  }
  let mirror: Map<string, string> | undefined;
  const result = {} as Record<UpstreamId, KubeObject[]>;

  for (const id of ids) {
    const entry = UPSTREAM_LOCK[id];
    const jsonPath = join(cacheDir, `${entry.sha256}.json`);
    const rawPath = join(cacheDir, `${entry.sha256}.yaml`);
    if (existsSync(jsonPath) && existsSync(rawPath)) {
      result[id] = JSON.parse(readFileSync(jsonPath, "utf8")) as KubeObject[];
      continue;
    }
    let bytes: Buffer | undefined;
    if (existsSync(rawPath)) bytes = readFileSync(rawPath);
    else if (mirrorDir) {
      mirror ??= indexMirror(mirrorDir, new Set(Object.values(UPSTREAM_LOCK).map((e) => e.sha256)));
      const p = mirror.get(entry.sha256);
      if (!p) throw new ManifestError(`mirror ${mirrorDir} has no file with sha256 ${entry.sha256} (${id}, ${entry.url}); copy that file into the mirror`);
      bytes = readFileSync(p);
    } else {
      bytes = await (opts.download ?? httpDownload)(entry.url);
    }
    verify(id, entry, bytes);
    if (!existsSync(rawPath)) writeAtomic(rawPath, bytes);
    const objects = parseManifests(bytes.toString("utf8"), entry.url);
    writeAtomic(jsonPath, JSON.stringify(objects));
    result[id] = objects;
  }
  return result;
}

export function verify(id: string, entry: LockEntry, bytes: Buffer): void {
  const actual = sha256(bytes);
  if (actual !== entry.sha256) {
    throw new ManifestError(
      `${id} (${entry.url}) has sha256 ${actual} but config/upstream.lock.json pins ${entry.sha256}; the file was not used. Remove it from the mirror or cache, or update the lock after reviewing the new file.`,
    );
  }
}
