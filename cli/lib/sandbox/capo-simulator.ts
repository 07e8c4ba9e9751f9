/**
 * Plays what CAPO's OpenStackCluster controller does to the local cloud, and nothing else:
 * it watches one OpenStackCluster in the management cluster and, a few seconds after each
 * change (like the real controller), reconciles the API load balancer's allowed sources and
 * the bastion, then reports them in the status. It never writes the spec. Given `movesTo`, it
 * follows the object there after a `clusterctl move`, as CAPO installed on both sides would.
 */
import { ProwOpsError } from "../../../stacks/core/errors";
import { type Kube, type KubeObject, loadK8s } from "../../../stacks/core/kube-client";
import { ADDRESSES, type Bastion, type LocalCloud } from "./local-cloud";

export interface SimulatorOptions {
  cloud: LocalCloud;
  management: Kube;
  /** The cluster the objects may be moved to (bootstrap's `clusterctl move`): watched too. */
  movesTo?: Kube;
  namespace: string;
  name: string;
  /** Floating IPs handed out to successive bastions, in order (OpenStack picks a free one). */
  floatingIPs: string[];
  /** How long after a change the controller acts. */
  delayMs?: number;
}

export interface Simulator {
  /** Resolves after the next reconcile that finds `done` true of the status it wrote. */
  settled(done: (status: OscStatus) => boolean, timeoutMs?: number): Promise<OscStatus>;
  stop(): Promise<void>;
}

export interface OscStatus {
  ready: boolean;
  bastion?: { floatingIP: string; ip: string; name: string; state: string };
  apiServerLoadBalancer: { allowedCIDRs: string[]; ip: string; internalIP: string; name: string; id: string };
}

interface OscSpec {
  apiServerLoadBalancer?: { enabled?: boolean; allowedCIDRs?: string[] };
  bastion?: { enabled?: boolean; spec?: { image?: { filter?: { name?: string }; id?: string } } };
}

const MANAGER = "capo-simulator";

export async function startCapoSimulator(o: SimulatorOptions): Promise<Simulator> {
  const path = `/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/${o.namespace}/openstackclusters`;
  const delayMs = o.delayMs ?? 2000;
  let bastion: (Bastion & { image: string }) | undefined;
  let nextIP = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let latest: { osc: KubeObject; kube: Kube } | undefined;
  let pending = false;
  let stopped = false;
  let lastStatus: OscStatus | undefined;
  const waiters: Array<{ done: (s: OscStatus) => boolean; resolve: (s: OscStatus) => void }> = [];

  const reconcile = async ({ osc, kube }: { osc: KubeObject; kube: Kube }) => {
    const spec = (osc.spec ?? {}) as OscSpec;
    // CAPO: the bastion is enabled by default when the bastion field is set; its image is
    // spec.bastion.spec.image (by name filter or id).
    const wanted = spec.bastion !== undefined && spec.bastion.enabled !== false;
    const image = spec.bastion?.spec?.image?.filter?.name ?? spec.bastion?.spec?.image?.id ?? "";
    if (bastion && (!wanted || bastion.image !== image)) {
      // CAPO deletes the bastion server and releases its floating IP when the bastion is
      // disabled, and recreates it when its spec changes.
      await bastion.stop();
      bastion = undefined;
    }
    if (wanted && !bastion) {
      // CAPO creates a new server (a new host key: a new machine) and attaches a floating IP.
      const floatingIP = o.floatingIPs[nextIP++ % o.floatingIPs.length];
      bastion = { ...(await o.cloud.startBastion(floatingIP)), image };
    }
    // CAPO's getCanonicalAllowedCIDRs: the spec's allowedCIDRs plus the bastion's floating IP
    // and the cluster network, programmed into the Octavia listener when the spec lists any;
    // with none, the listener admits everyone.
    const fromSpec = spec.apiServerLoadBalancer?.allowedCIDRs ?? [];
    const effective = fromSpec.length ? [...new Set([...fromSpec, ...(bastion ? [`${bastion.floatingIP}/32`] : []), ADDRESSES.clusterCidr])].sort() : [];
    o.cloud.setAllowedSources(fromSpec.length ? effective : ["0.0.0.0/0"]);
    const status: OscStatus = {
      ready: true,
      ...(bastion ? { bastion: { floatingIP: bastion.floatingIP, ip: ADDRESSES.bastionInternal, name: `${o.name}-bastion`, state: "ACTIVE" } } : {}),
      apiServerLoadBalancer: { allowedCIDRs: effective, ip: ADDRESSES.vip, internalIP: ADDRESSES.lbInternal, name: `k8s-clusterapi-cluster-${o.namespace}-${o.name}-kubeapi`, id: "local-cloud-lb" },
    };
    // CAPO reports what it did in the status subresource only.
    await kube.apply(
      `${path}/${o.name}/status`,
      { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "OpenStackCluster", metadata: { name: o.name, namespace: o.namespace }, status: status as unknown as Record<string, unknown> },
      MANAGER,
    );
    lastStatus = status;
    pending = false;
    for (const w of [...waiters]) {
      if (w.done(status)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(status);
      }
    }
  };

  const schedule = (osc: KubeObject, kube: Kube) => {
    latest = { osc, kube };
    pending = true;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(() => (latest ? reconcile(latest) : undefined)).catch((err) => console.error(`capo-simulator: ${(err as Error).message}`));
    }, delayMs);
  };

  const { Watch } = await loadK8s();
  const lastSpec = new Map<Kube, string>();
  const requests = new Map<Kube, AbortController>();
  // Like a controller's informer: a watch that ends (the API server restarting its cache
  // answers 429 at first) is started again; its first events list what exists.
  const watch = async (kube: Kube): Promise<void> => {
    // Until clusterctl init installs the CRD (a bootstrap), the watch would be refused every time: wait for it.
    if (!(await kube.get(path).catch(() => undefined))) {
      if (!stopped) setTimeout(() => void watch(kube).catch(() => undefined), 1000);
      return;
    }
    requests.set(
      kube,
      await new Watch(kube.kc).watch(
      path,
      { fieldSelector: `metadata.name=${o.name}` },
      (type, obj: KubeObject) => {
        if (type === "DELETED") return;
        // Status writes (ours) come back as events too; only a spec change is work.
        const spec = JSON.stringify(obj.spec);
        if (spec === lastSpec.get(kube)) return;
        lastSpec.set(kube, spec);
        schedule(obj, kube);
      },
      () => {
        if (!stopped) setTimeout(() => void watch(kube).catch(() => undefined), 500);
      },
      ),
    );
  };
  for (const kube of [o.management, ...(o.movesTo ? [o.movesTo] : [])]) await watch(kube);

  return {
    settled: (done, timeoutMs = 30_000) =>
      new Promise<OscStatus>((resolve, reject) => {
        if (lastStatus && !pending && done(lastStatus)) return resolve(lastStatus);
        const t = setTimeout(() => reject(new ProwOpsError("TIMEOUT", `capo-simulator: no reconcile reached the expected status within ${timeoutMs / 1000} s`)), timeoutMs);
        waiters.push({
          done,
          resolve: (s) => {
            clearTimeout(t);
            resolve(s);
          },
        });
      }),
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      for (const r of requests.values()) r.abort();
      await running;
      await bastion?.stop();
    },
  };
}
