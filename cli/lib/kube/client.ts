/**
 * Reads and waits on clusters through @kubernetes/client-node: lists as JSON objects and
 * watches, never kubectl's human output, never a sleep loop. The client is an ES module,
 * loaded on use (the compiled CLI is CommonJS: a real dynamic import keeps it out of start-up).
 */
import type * as k8s from "@kubernetes/client-node";
import { ProwOpsError } from "../../../stacks/core/errors";

const importEsm = new Function("specifier", "return import(specifier)") as <T>(specifier: string) => Promise<T>;
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
  /** Resolves with the first object for which `ready` holds, within a second of it holding. */
  waitFor(path: string, ready: (o: KubeObject) => boolean, o: { what: string; timeoutMs: number; signal?: AbortSignal }): Promise<KubeObject>;
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

  const get = async (path: string): Promise<{ items?: KubeObject[] } | undefined> => {
    // The same agent (CA, client certificate) and headers the client's own API calls use.
    const init = await kc.applyToFetchOptions({});
    const fetch = require("node-fetch") as (url: string, init: unknown) => Promise<Response>;
    let res: Response;
    try {
      res = await fetch(`${server}${path}`, init);
    } catch (err) {
      throw new ProwOpsError("KUBE", `cannot reach the API server ${server}: ${(err as Error).message}`, { cause: err });
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw new ProwOpsError("KUBE", `GET ${path} on ${server}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    return (await res.json()) as { items?: KubeObject[] };
  };

  return {
    kc,
    list: async (path) => (await get(path))?.items ?? [],
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
