/**
 * Plays what the Cluster API controllers (KubeadmControlPlane, MachineDeployment/MachineSet,
 * Machine) and CAPO's machine controller write, and what kubelets report, so the life-cycle
 * runbooks can be run against two local API servers: for every KubeadmControlPlane and
 * MachineDeployment of one Cluster it keeps as many Machines as asked, each with a Node (the
 * right kubelet version and providerID) in the workload cluster; a change of version or
 * machine template rolls them one at a time (a new Machine first, then an old one goes,
 * like maxSurge 1 / maxUnavailable 0); a deleted Machine is drained first, and the drain and
 * volume detach of a Node that no longer reports (Ready Unknown) finish only once the
 * Machine's nodeDrainTimeout / nodeVolumeDetachTimeout have passed, as the Machine
 * controller does. It also writes the Cluster's status and the `<cluster>-kubeconfig` Secret
 * that `clusterctl get kubeconfig` reads. Without the Cluster, or while it is paused, it does nothing.
 *
 * With `capiControllers`, Cluster API's own core controllers run (capi-manager.ts): they own the
 * Cluster, MachineDeployments, MachineSets and Machines (the roll, drain, Node deletion), and
 * the simulator plays only the providers around them: the KubeadmControlPlane (its Machines and
 * status), the kubeadm bootstrap provider (KubeadmConfigs ready), CAPO (OpenStackCluster ready;
 * each OpenStackMachine gets a server: a providerID and a Node that joins) and the kubelets.
 */
import { randomUUID } from "node:crypto";
import type { Kube, KubeObject } from "../../../stacks/core/kube-client";
import { AUTOSCALER_MIN } from "../../../stacks/cluster/objects";
import { annotationsOf, capiPath, CLONED_FROM, CLUSTER_NAME_LABEL, CONTROL_PLANE_LABEL, DEPLOYMENT_LABEL, labelsOf, NODES, nodeReady as ready, openstackMachinesPath, templateOf } from "../lifecycle/cluster-state";
import { durationMs } from "../lifecycle/duration";

export interface CapiSimulatorOptions {
  management: Kube;
  workload: Kube;
  namespace: string;
  cluster: string;
  /** The workload cluster's kubeconfig as CAPI's `<cluster>-kubeconfig` Secret holds it. */
  workloadKubeconfig?: string;
  /** How long a new Machine takes to become a Ready Node. */
  provisionMs?: number;
  /** How long a responsive Node takes to drain. */
  drainMs?: number;
  /** Reconcile period. */
  periodMs?: number;
  /** Cluster API's core controllers run (startCapiManager): play only the providers and kubelets. */
  capiControllers?: boolean;
}

export interface CapiSimulator {
  /** Makes a Node stop reporting (Ready Unknown), as a kubelet that hangs. */
  breakNode(name: string): Promise<void>;
  stop(): Promise<void>;
}

const CAPI = "/apis/cluster.x-k8s.io/v1beta1";
const INFRA = "infrastructure.cluster.x-k8s.io/v1beta1";
const BOOTSTRAP = "bootstrap.cluster.x-k8s.io/v1beta1";
const FINALIZER = "machine.cluster.x-k8s.io";
const MANAGER = "capi-simulator";

interface Owner {
  kind: "KubeadmControlPlane" | "MachineDeployment";
  name: string;
  label: string;
  replicas: number;
  version: string;
  template: string;
  obj: KubeObject;
}

const conditionTrue = (type: string) => ({ type, status: "True", lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") });

function ownersOf(kcps: KubeObject[], mds: KubeObject[]): Owner[] {
  const owners: Owner[] = [];
  for (const kcp of kcps) {
    const s = kcp.spec as { replicas?: number; version: string; machineTemplate: { infrastructureRef: { name: string } } };
    owners.push({ kind: "KubeadmControlPlane", name: kcp.metadata.name, label: CONTROL_PLANE_LABEL, replicas: s.replicas ?? 1, version: s.version, template: s.machineTemplate.infrastructureRef.name, obj: kcp });
  }
  for (const md of mds) {
    const s = md.spec as { replicas?: number; template: { spec: { version: string; infrastructureRef: { name: string } } } };
    owners.push({ kind: "MachineDeployment", name: md.metadata.name, label: DEPLOYMENT_LABEL, replicas: s.replicas ?? 1, version: s.template.spec.version, template: s.template.spec.infrastructureRef.name, obj: md });
  }
  return owners;
}

const templateLabels = (owner: Owner) => ((owner.obj.spec as { template?: { metadata?: { labels?: Record<string, string> } } }).template?.metadata?.labels ?? {}) as Record<string, string>;

export async function startCapiSimulator(o: CapiSimulatorOptions): Promise<CapiSimulator> {
  const ns = o.namespace;
  const paths = {
    clusters: `${CAPI}/namespaces/${ns}/clusters`,
    machines: `${CAPI}/namespaces/${ns}/machines`,
    mds: `${CAPI}/namespaces/${ns}/machinedeployments`,
    kcps: `/apis/controlplane.cluster.x-k8s.io/v1beta1/namespaces/${ns}/kubeadmcontrolplanes`,
    nodes: NODES,
    secrets: `/api/v1/namespaces/${ns}/secrets`,
    osms: openstackMachinesPath(ns),
    osmts: capiPath(ns, "openstackmachinetemplates", "infrastructure.cluster.x-k8s.io"),
    oscs: capiPath(ns, "openstackclusters", "infrastructure.cluster.x-k8s.io"),
    kubeadmConfigs: capiPath(ns, "kubeadmconfigs", "bootstrap.cluster.x-k8s.io"),
  };
  const real = o.capiControllers === true;
  const provisionMs = o.provisionMs ?? 2000;
  const drainMs = o.drainMs ?? 1000;
  /** When each Machine's deletion was first seen, and when it was created (provisioning). */
  const deletingSince = new Map<string, number>();
  const createdAt = new Map<string, number>();
  const broken = new Set<string>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const node = (m: KubeObject) => m.metadata.name;

  const createMachine = async (owner: Owner) => {
    const name = `${owner.name}-${randomUUID().slice(0, 5)}`;
    createdAt.set(name, Date.now());
    await o.management.write("POST", paths.machines, {
      apiVersion: "cluster.x-k8s.io/v1beta1",
      kind: "Machine",
      metadata: {
        name,
        namespace: ns,
        finalizers: [FINALIZER],
        // The MachineDeployment's template labels go to its Machines (and node-role ones on to the Node).
        labels: { ...templateLabels(owner), [CLUSTER_NAME_LABEL]: o.cluster, [owner.label]: owner.name, ...(owner.kind === "KubeadmControlPlane" ? { "cluster.x-k8s.io/control-plane": "" } : {}) },
        ownerReferences: [{ apiVersion: owner.obj.apiVersion as string, kind: owner.kind, name: owner.name, uid: owner.obj.metadata.uid as string, controller: true }],
      },
      spec: {
        clusterName: o.cluster,
        version: owner.version,
        // KCP gives each Machine a KubeadmConfig (made ready by the bootstrap provider) when real controllers read it.
        bootstrap: real ? { configRef: { apiVersion: BOOTSTRAP, kind: "KubeadmConfig", name, namespace: ns } } : { dataSecretName: name },
        infrastructureRef: { apiVersion: INFRA, kind: "OpenStackMachine", name, namespace: ns },
      },
    });
    if (real) await o.management.write("POST", paths.kubeadmConfigs, { apiVersion: BOOTSTRAP, kind: "KubeadmConfig", metadata: { name, namespace: ns, labels: { [CLUSTER_NAME_LABEL]: o.cluster } }, spec: {} });
    await cloneInfraMachine(owner, name);
  };

  /** The OpenStackMachine cloned from the owner's template, as CAPI's external.CreateFromTemplate writes it. */
  const cloneInfraMachine = async (owner: Owner, name: string) => {
    const template = await o.management.get(`${paths.osmts}/${owner.template}`);
    const machine = await o.management.get(`${paths.machines}/${name}`);
    if (!template || !machine) return;
    await o.management.write("POST", paths.osms, {
      apiVersion: INFRA,
      kind: "OpenStackMachine",
      metadata: {
        name,
        namespace: ns,
        labels: { [CLUSTER_NAME_LABEL]: o.cluster },
        annotations: { [CLONED_FROM]: owner.template, "cluster.x-k8s.io/cloned-from-groupkind": "OpenStackMachineTemplate.infrastructure.cluster.x-k8s.io" },
        ownerReferences: [{ apiVersion: machine.apiVersion as string, kind: "Machine", name, uid: machine.metadata.uid as string }],
      },
      spec: (template.spec as { template: { spec: Record<string, unknown> } }).template.spec,
    });
  };

  /** The server of Machine `m` is up: its kubelet registers the Node and reports Ready. Returns the Node's providerID. */
  const joinNode = async (m: KubeObject): Promise<string> => {
    const name = node(m);
    const version = (m.spec as { version: string }).version;
    const providerID = `openstack:///${randomUUID()}`;
    const labels: Record<string, string> = { "kubernetes.io/hostname": name };
    for (const [k, v] of Object.entries(labelsOf(m))) if (k.startsWith("node-role.kubernetes.io/")) labels[k] = v;
    if (labelsOf(m)["cluster.x-k8s.io/control-plane"] !== undefined) labels["node-role.kubernetes.io/control-plane"] = "";
    const existing = await o.workload.get(`${paths.nodes}/${name}`);
    if (!existing) await o.workload.write("POST", paths.nodes, { apiVersion: "v1", kind: "Node", metadata: { name, labels }, spec: { providerID } });
    const id = ((await o.workload.get(`${paths.nodes}/${name}`))?.spec as { providerID?: string } | undefined)?.providerID ?? providerID;
    await o.workload.apply(`${paths.nodes}/${name}/status`, { apiVersion: "v1", kind: "Node", metadata: { name }, status: { nodeInfo: nodeInfo(version), conditions: [{ ...conditionTrue("Ready"), reason: "KubeletReady", lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") }] } }, MANAGER);
    return id;
  };

  /** A Machine's infrastructure is up: its Node joins and the Machine runs (what the Machine controller would write). */
  const provision = async (m: KubeObject) => {
    const name = node(m);
    const version = (m.spec as { version: string }).version;
    const id = await joinNode(m);
    await o.management.apply(
      `${paths.machines}/${name}/status`,
      {
        apiVersion: "cluster.x-k8s.io/v1beta1",
        kind: "Machine",
        metadata: { name, namespace: ns },
        status: { phase: "Running", bootstrapReady: true, infrastructureReady: true, nodeRef: { apiVersion: "v1", kind: "Node", name }, nodeInfo: nodeInfo(version), conditions: [conditionTrue("Ready"), conditionTrue("NodeHealthy")] },
      },
      MANAGER,
    );
    await o.management.apply(`${paths.machines}/${name}`, { apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Machine", metadata: { name, namespace: ns }, spec: { providerID: id } }, MANAGER);
  };

  /** Deletion as the Machine controller does it: drain (bounded by nodeDrainTimeout when the Node does not answer), wait for volumes (bounded by nodeVolumeDetachTimeout), delete the Node, let go. */
  const finishDeletion = async (m: KubeObject) => {
    const name = node(m);
    const since = deletingSince.get(name) ?? Date.now();
    deletingSince.set(name, since);
    const n = await o.workload.get(`${paths.nodes}/${name}`);
    const spec = m.spec as { nodeDrainTimeout?: string; nodeVolumeDetachTimeout?: string };
    if (n && !ready(n)) {
      // An unresponsive Node cannot be drained, and its volumes never report detached.
      const drain = durationMs(spec.nodeDrainTimeout);
      const detach = durationMs(spec.nodeVolumeDetachTimeout);
      if (drain === undefined || detach === undefined || Date.now() - since < drain + detach) return;
    } else if (Date.now() - since < drainMs) return;
    if (n) await o.workload.remove(`${paths.nodes}/${name}`);
    await o.management.remove(`${paths.osms}/${name}`);
    const current = await o.management.get(`${paths.machines}/${name}`);
    if (!current) return;
    await o.management.write("PUT", `${paths.machines}/${name}`, { ...current, metadata: { ...current.metadata, finalizers: ((current.metadata.finalizers as string[] | undefined) ?? []).filter((f) => f !== FINALIZER) } });
    deletingSince.delete(name);
  };

  const reconcile = async () => {
    // CAPI's controllers leave a paused Cluster alone (clusterctl move pauses it on both sides).
    const cluster = await o.management.get(`${paths.clusters}/${o.cluster}`);
    if (!cluster || (cluster.spec as { paused?: boolean } | undefined)?.paused) return;
    const [kcps, allMds, machines, osms] = await Promise.all([o.management.list(paths.kcps), o.management.list(paths.mds), o.management.list(paths.machines), o.management.list(paths.osms)]);
    // With Cluster API's controllers running, MachineDeployments are theirs.
    const mds = real ? [] : allMds;
    await ownLikeCapi(cluster, kcps, allMds);
    const mine = machines.filter((m) => labelsOf(m)[CLUSTER_NAME_LABEL] === o.cluster);
    if (real) await playProviders(mine, osms);
    else {
      for (const m of mine) {
        if (m.metadata.deletionTimestamp) await finishDeletion(m);
        else if ((m.status as { phase?: string } | undefined)?.phase !== "Running" && Date.now() - (createdAt.get(node(m)) ?? 0) >= provisionMs) await provision(m);
      }
      await defaultReplicas(mds);
    }
    const nodes = new Map((await o.workload.list(paths.nodes)).map((n) => [n.metadata.name, n]));
    for (const owner of ownersOf(kcps, mds)) {
      const own = mine.filter((m) => labelsOf(m)[owner.label] === owner.name);
      const live = own.filter((m) => !m.metadata.deletionTimestamp);
      const current = (m: KubeObject) => (m.spec as { version: string }).version === owner.version && templateOf({ infraMachines: osms }, m) === owner.template;
      const isReady = (m: KubeObject) => (m.status as { phase?: string } | undefined)?.phase === "Running" && ready(nodes.get(node(m)));
      const upToDate = live.filter(current);
      const outdated = live.filter((m) => !current(m));
      const provisioning = live.some((m) => !isReady(m)) || own.some((m) => m.metadata.deletionTimestamp);
      if (!provisioning) {
        if (upToDate.length < owner.replicas) await createMachine(owner);
        else if (outdated.length) await o.management.remove(`${paths.machines}/${node(outdated[0])}`);
        else if (upToDate.length > owner.replicas) await o.management.remove(`${paths.machines}/${node(upToDate[upToDate.length - 1])}`);
      } else if (!outdated.length && upToDate.length < owner.replicas && !live.some((m) => !isReady(m))) {
        // A deleted Machine (node recovery) is replaced at once.
        await createMachine(owner);
      }
      await writeOwnerStatus(owner, live, upToDate.filter(isReady).length, live.filter(isReady).length, live);
    }
    if (!real) await writeClusterStatus(mine);
    if (o.workloadKubeconfig && !(await o.management.get(`${paths.secrets}/${o.cluster}-kubeconfig`))) {
      await o.management.write("POST", paths.secrets, {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: `${o.cluster}-kubeconfig`, namespace: ns, labels: { [CLUSTER_NAME_LABEL]: o.cluster } },
        type: "cluster.x-k8s.io/secret",
        data: { value: Buffer.from(o.workloadKubeconfig).toString("base64") },
      });
    }
  };

  /** CAPI's defaulting webhook: a MachineDeployment without replicas starts at the autoscaler's minimum (else 1). */
  const defaultReplicas = async (mds: KubeObject[]) => {
    for (const md of mds) {
      if ((md.spec as { replicas?: number }).replicas !== undefined) continue;
      const min = Number(annotationsOf(md)[AUTOSCALER_MIN] ?? 1);
      await o.management.apply(`${paths.mds}/${md.metadata.name}`, { apiVersion: md.apiVersion as string, kind: "MachineDeployment", metadata: { name: md.metadata.name, namespace: ns }, spec: { replicas: min } }, "capi-defaulting-webhook");
      (md.spec as { replicas?: number }).replicas = min;
    }
  };

  /** What the Cluster controller reports once its infrastructure and control plane are ready. */
  const writeClusterStatus = async (mine: KubeObject[]) => {
    const allReady = mine.length > 0 && mine.every((m) => !m.metadata.deletionTimestamp && (m.status as { phase?: string } | undefined)?.phase === "Running");
    await o.management.apply(
      `${paths.clusters}/${o.cluster}/status`,
      {
        apiVersion: "cluster.x-k8s.io/v1beta1",
        kind: "Cluster",
        metadata: { name: o.cluster, namespace: ns },
        status: { phase: "Provisioned", infrastructureReady: true, controlPlaneReady: true, conditions: [{ ...conditionTrue("Ready"), ...(allReady ? {} : { status: "False", reason: "RollingUpdateInProgress", severity: "Warning" }) }, conditionTrue("ControlPlaneInitialized"), conditionTrue("ControlPlaneReady"), conditionTrue("InfrastructureReady")] },
      },
      MANAGER,
    );
  };

  /**
   * The providers around Cluster API's own controllers: CAPO reports the OpenStackCluster ready
   * and gives every OpenStackMachine a server (providerID, addresses, a Node that joins); the
   * kubeadm bootstrap provider marks every KubeadmConfig ready with its bootstrap data Secret.
   */
  const playProviders = async (mine: KubeObject[], osms: KubeObject[]) => {
    const osc = await o.management.get(`${paths.oscs}/${o.cluster}`);
    if (osc && !(osc.status as { ready?: boolean } | undefined)?.ready) {
      await o.management.apply(`${paths.oscs}/${o.cluster}/status`, { apiVersion: INFRA, kind: "OpenStackCluster", metadata: { name: o.cluster, namespace: ns }, status: { ready: true } }, "capo-simulator");
    }
    for (const config of await o.management.list(paths.kubeadmConfigs)) {
      if ((config.status as { ready?: boolean } | undefined)?.ready || labelsOf(config)[CLUSTER_NAME_LABEL] !== o.cluster) continue;
      const name = config.metadata.name;
      await o.management.write("POST", paths.secrets, { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns, labels: { [CLUSTER_NAME_LABEL]: o.cluster } }, type: "cluster.x-k8s.io/secret", data: { value: Buffer.from("#cloud-config\n").toString("base64"), format: Buffer.from("cloud-config").toString("base64") } });
      await o.management.apply(`${paths.kubeadmConfigs}/${name}/status`, { apiVersion: BOOTSTRAP, kind: "KubeadmConfig", metadata: { name, namespace: ns }, status: { ready: true, dataSecretName: name } }, "cabpk-simulator");
    }
    for (const osm of osms) {
      const name = osm.metadata.name;
      if (osm.metadata.deletionTimestamp || (osm.status as { ready?: boolean } | undefined)?.ready) continue;
      // CAPO boots the server once the Machine has its bootstrap data (the Machine controller copies the Secret's name).
      const m = mine.find((x) => (x.spec as { infrastructureRef?: { name?: string }; bootstrap?: { dataSecretName?: string } }).infrastructureRef?.name === name && (x.spec as { bootstrap?: { dataSecretName?: string } }).bootstrap?.dataSecretName);
      if (!m || m.metadata.deletionTimestamp) continue;
      if (!createdAt.has(name)) createdAt.set(name, Date.now());
      if (Date.now() - (createdAt.get(name) as number) < provisionMs) continue;
      const providerID = await joinNode(m);
      await o.management.apply(`${paths.osms}/${name}`, { apiVersion: INFRA, kind: "OpenStackMachine", metadata: { name, namespace: ns }, spec: { providerID } }, "capo-simulator");
      await o.management.apply(`${paths.osms}/${name}/status`, { apiVersion: INFRA, kind: "OpenStackMachine", metadata: { name, namespace: ns }, status: { ready: true, instanceState: "ACTIVE", addresses: [{ type: "InternalIP", address: "192.0.2.30" }] } }, "capo-simulator");
    }
  };

  /**
   * The owner references CAPI's controllers add (what `clusterctl move` follows): the Cluster
   * owns its infrastructure cluster, control plane, MachineDeployments and the templates they use.
   */
  const ownLikeCapi = async (cluster: KubeObject, kcps: KubeObject[], mds: KubeObject[]) => {
    type Ref = { apiVersion?: string; kind?: string; name?: string } | undefined;
    const c = cluster.spec as { infrastructureRef?: Ref; controlPlaneRef?: Ref };
    const refs: Ref[] = [
      c.infrastructureRef,
      c.controlPlaneRef,
      ...mds.map((md) => ({ apiVersion: md.apiVersion as string, kind: "MachineDeployment", name: md.metadata.name })),
      ...kcps.map((k) => (k.spec as { machineTemplate: { infrastructureRef: Ref } }).machineTemplate.infrastructureRef),
      ...mds.flatMap((md) => {
        const t = (md.spec as { template: { spec: { infrastructureRef: Ref; bootstrap?: { configRef?: Ref } } } }).template.spec;
        return [t.infrastructureRef, t.bootstrap?.configRef];
      }),
    ];
    const owner = { apiVersion: cluster.apiVersion as string, kind: "Cluster", name: o.cluster, uid: cluster.metadata.uid as string };
    for (const ref of refs) {
      if (!ref?.apiVersion || !ref.kind || !ref.name) continue;
      const path = `/apis/${ref.apiVersion}/namespaces/${ns}/${ref.kind.toLowerCase()}s/${ref.name}`;
      const obj = await o.management.get(path);
      if (!obj || ((obj.metadata.ownerReferences as Array<{ uid: string }> | undefined) ?? []).some((r) => r.uid === owner.uid)) continue;
      await o.management.apply(path, { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ns, ownerReferences: [owner] } }, MANAGER);
    }
  };

  const writeOwnerStatus = async (owner: Owner, live: KubeObject[], updatedReady: number, readyCount: number, all: KubeObject[]) => {
    const versions = all.map((m) => (m.spec as { version: string }).version).sort();
    const path = owner.kind === "KubeadmControlPlane" ? `${paths.kcps}/${owner.name}/status` : `${paths.mds}/${owner.name}/status`;
    const common = { replicas: live.length, updatedReplicas: updatedReady, readyReplicas: readyCount, unavailableReplicas: Math.max(0, owner.replicas - readyCount), observedGeneration: (owner.obj.metadata as { generation?: number }).generation };
    const status =
      owner.kind === "KubeadmControlPlane"
        ? { ...common, ...(versions.length ? { version: versions[0] } : {}), ready: readyCount > 0, initialized: readyCount > 0 }
        : { ...common, availableReplicas: readyCount, phase: readyCount === owner.replicas && live.length === owner.replicas ? "Running" : "ScalingUp" };
    await o.management.apply(path, { apiVersion: owner.obj.apiVersion as string, kind: owner.kind, metadata: { name: owner.name, namespace: ns }, status }, MANAGER);
  };

  const tick = () => {
    if (stopped) return;
    running = running
      .then(() => (broken.size ? markBroken() : undefined))
      .then(reconcile)
      .catch((err) => {
        if (!stopped) console.error(`capi-simulator: ${(err as Error).message}`);
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, o.periodMs ?? 500);
      });
  };

  /** A hung kubelet stops posting status: the node lifecycle controller marks Ready Unknown. */
  const markBroken = async () => {
    for (const name of broken) {
      if (!(await o.workload.get(`${paths.nodes}/${name}`))) continue;
      await o.workload.apply(`${paths.nodes}/${name}/status`, { apiVersion: "v1", kind: "Node", metadata: { name }, status: { conditions: [{ type: "Ready", status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status.", lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") }] } }, MANAGER);
    }
  };

  tick();
  return {
    breakNode: async (name) => {
      broken.add(name);
      running = running.then(markBroken);
      await running;
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

const nodeInfo = (version: string) => ({
  kubeletVersion: version,
  kubeProxyVersion: version,
  containerRuntimeVersion: "containerd://1.7.22",
  osImage: "Ubuntu 22.04.5 LTS",
  kernelVersion: "5.15.0-125-generic",
  operatingSystem: "linux",
  architecture: "amd64",
  machineID: "",
  systemUUID: "",
  bootID: "",
});
