/**
 * Reads and waits on clusters through @kubernetes/client-node: lists as JSON objects and
 * watches, never kubectl's human output, never a sleep loop. The client is an ES module,
 * loaded on use (the compiled CLI is CommonJS: a real dynamic import keeps it out of start-up).
 */
import { randomUUID } from "node:crypto";
import type * as k8s from "@kubernetes/client-node";
import { ProwOpsError } from "./errors";

// A function compiled per load, of a source no other load has: V8 reuses a compiled function of
// the same source together with the dynamic-import handler of the context that compiled it first
// (under a test runner, a context already torn down).
const importEsm = <T>(specifier: string): Promise<T> => (new Function("specifier", `return import(specifier); // ${randomUUID()}`) as (s: string) => Promise<T>)(specifier);
export const loadK8s = () => importEsm<typeof k8s>("@kubernetes/client-node");

export interface ClusterAccess {
  kubeconfig?: string;
  context?: string;
  /** Kubeconfig contents (from a secret), instead of a path. */
  inline?: string;
}

export type KubeObject = { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; spec?: Record<string, unknown>; status?: Record<string, unknown> } & Record<string, unknown>;

export interface Kube {
  kc: k8s.KubeConfig;
  /** GET of a list path (e.g. /apis/cluster.x-k8s.io/v1beta1/namespaces/default/machinedeployments); [] when the API is not served. */
  list(path: string): Promise<KubeObject[]>;
  /** GET of one object; undefined when it does not exist. */
  get(path: string): Promise<KubeObject | undefined>;
  /** Server-side apply of a whole object by one field manager, taking over conflicting fields; dryRun: what the object would become. */
  apply(path: string, object: KubeObject, fieldManager: string, o?: { dryRun?: boolean }): Promise<KubeObject>;
  /** POST (create) or PUT (replace, guarded by the object's resourceVersion); undefined when it conflicts: it exists, or changed since it was read. */
  write(method: "POST" | "PUT", path: string, object: KubeObject): Promise<KubeObject | undefined>;
  /** DELETE of one object; false when it did not exist. */
  remove(path: string): Promise<boolean>;
  /** Resolves once the object of `path` (its list path and name) is gone, within a second of it going. */
  waitDeleted(listPath: string, name: string, o: { timeoutMs: number }): Promise<void>;
  /** Resolves with the first object for which `ready` holds, within a second of it holding. */
  waitFor(path: string, ready: (o: KubeObject) => boolean, o: { what: string; timeoutMs: number; signal?: AbortSignal }): Promise<KubeObject>;
  /** Whether the API server answers an authenticated GET /version, its certificate verified, within the timeout. */
  probe(timeoutMs: number): Promise<boolean>;
}

const MAX_RETRIES = 10;

/** How long the server asks to wait before the same request (429, or a 5xx with Retry-After); undefined: do not retry. */
export function retryAfterMs(res: { status: number; headers: { get(name: string): string | null } }): number | undefined {
  const header = res.headers.get("retry-after");
  if (res.status !== 429 && !(res.status >= 500 && header)) return undefined;
  const seconds = Number(header ?? 1);
  return Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds : 1, 10) * 1000;
}

export async function connect(access: ClusterAccess): Promise<Kube> {
  const { KubeConfig, Watch } = await loadK8s();
  const kc = new KubeConfig();
  if (access.inline) kc.loadFromString(access.inline);
  else if (access.kubeconfig) kc.loadFromFile(access.kubeconfig);
  else kc.loadFromDefault();
  if (access.context) kc.setCurrentContext(access.context);
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new ProwOpsError("KUBE", "the kubeconfig names no cluster (check prow-ops:kubernetes in the stack config)");

  const request = async (method: string, path: string, body?: { type: string; text: string }, signal?: AbortSignal): Promise<{ status: number; json?: unknown }> => {
    // The same agent (CA, client certificate) and headers the client's own API calls use.
    const init = (await kc.applyToFetchOptions({ method })) as { headers?: { forEach(f: (v: string, k: string) => void): void }; signal?: AbortSignal };
    if (signal) init.signal = signal;
    if (body) {
      const headers: Record<string, string> = { "Content-Type": body.type };
      init.headers?.forEach((v, k) => {
        headers[k] = v;
      });
      Object.assign(init, { body: body.text, headers });
    }
    const fetch = require("node-fetch") as (url: string, init: unknown) => Promise<Response>;
    let res: Response;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await fetch(`${server}${path}`, init);
      } catch (err) {
        // A read that failed on the way (a connection through the bastion tunnel reset) is asked once more.
        const retry = method === "GET" && !signal?.aborted ? await fetch(`${server}${path}`, init).catch(() => undefined) : undefined;
        if (!retry) throw new ProwOpsError("KUBE", `cannot reach the API server ${server}: ${(err as Error).message}`, { cause: err });
        res = retry;
      }
      // The server did not take the request and says when to ask again (e.g. a CRD's storage
      // re-initialising just after the CRD changed): wait as it asks, like client-go does.
      const wait = retryAfterMs(res);
      if (wait === undefined || attempt >= MAX_RETRIES || signal?.aborted) break;
      await res.text().catch(() => undefined);
      await new Promise((r) => setTimeout(r, wait));
    }
    if (res.status === 404 || res.status === 409) {
      // Read to the end, or the connection is never given back: a poll of a missing object would leak one per call.
      await res.text().catch(() => undefined);
      return { status: res.status };
    }
    if (!res.ok) throw new ProwOpsError("KUBE", `${method} ${path} on ${server}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    return { status: res.status, json: await res.json() };
  };
  const get = async (path: string) => (await request("GET", path)).json as (KubeObject & { items?: KubeObject[] }) | undefined;

  return {
    kc,
    list: async (path) => (await get(path))?.items ?? [],
    get,
    apply: async (path, object, fieldManager, o = {}) => {
      const query = `?fieldManager=${encodeURIComponent(fieldManager)}&force=true${o.dryRun ? "&dryRun=All" : ""}`;
      return (await request("PATCH", `${path}${query}`, { type: "application/apply-patch+yaml", text: JSON.stringify(object) })).json as KubeObject;
    },
    write: async (method, path, object) => {
      const res = await request(method, path, { type: "application/json", text: JSON.stringify(object) });
      return res.status === 409 ? undefined : (res.json as KubeObject);
    },
    remove: async (path) => (await request("DELETE", path)).status !== 404,
    probe: async (timeoutMs) => {
      // A dropped SYN (a load balancer refusing the source) would otherwise hang for minutes.
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        return (await request("GET", "/version", undefined, signal)).status === 200;
      } catch {
        return false;
      }
    },
    waitDeleted: async (listPath, name, o) => {
      const current = await get(`${listPath}/${name}`);
      if (!current) return;
      const { Watch } = await loadK8s();
      await new Promise<void>((resolve, reject) => {
        let request: AbortController | undefined;
        let settled = false;
        const finish = (err?: Error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          request?.abort();
          if (err) reject(err);
          else resolve();
        };
        const timer = setTimeout(() => finish(new ProwOpsError("TIMEOUT", `timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for ${name} to be deleted`)), o.timeoutMs);
        // From the version just read: a deletion in between is replayed, not missed.
        const query = { fieldSelector: `metadata.name=${name}`, resourceVersion: (current.metadata as { resourceVersion?: string }).resourceVersion };
        new Watch(kc)
          .watch(listPath, query, (type) => type === "DELETED" && finish(), (err) => err && finish(new ProwOpsError("KUBE", `watch of ${listPath} ended: ${(err as Error).message ?? err}`)))
          .then((r) => {
            request = r;
          }, finish);
      });
    },
    waitFor: (path, ready, o) =>
      new Promise<KubeObject>((resolve, reject) => {
        let request: AbortController | undefined;
        let settled = false;
        const finish = (err?: Error, obj?: KubeObject) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          o.signal?.removeEventListener("abort", onAbort);
          request?.abort();
          if (err) reject(err);
          else resolve(obj as KubeObject);
        };
        const timer = setTimeout(() => finish(new ProwOpsError("TIMEOUT", `timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for ${o.what}`)), o.timeoutMs);
        const onAbort = () => finish(new ProwOpsError("CANCELLED", `stopped waiting for ${o.what} (interrupted)`));
        o.signal?.addEventListener("abort", onAbort);
        // The watch's initial events list what exists, so a condition that already holds resolves at once.
        new Watch(kc)
          .watch(
            path,
            {},
            (_type, obj: KubeObject) => {
              if (ready(obj)) finish(undefined, obj);
            },
            (err) => {
              if (!settled) finish(err ? new ProwOpsError("KUBE", `watch of ${path} ended: ${(err as Error).message ?? err}`) : new ProwOpsError("KUBE", `watch of ${path} ended before ${o.what}`));
            },
          )
          .then(
            (r) => {
              request = r;
              if (settled) r.abort();
            },
            (err) => finish(err as Error),
          );
      }),
  };
}
