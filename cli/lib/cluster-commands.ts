/** status, diff, autoscaler enable|disable, scale: the everyday cluster commands. */
import type { ClusterConfig } from "../../config/schema";
import { isAutoscaled } from "../../config/schema";
import { ProwOpsError, RefusedError, UsageError } from "../../stacks/core/errors";
import type { Context } from "./context";
import { upCommand } from "./engine/commands";
import { withStack } from "./engine/session";
import { targetUrns } from "./engine/operations";
import { type ClusterAccess, connect, type Kube, type KubeObject } from "../../stacks/core/kube-client";
import { type KeyPath, StackFile } from "./stack-file";
import { formatStatus, type StatusInput, summarize } from "./status";
import type { LayerName } from "../../config/layer-names";
import { readFileSync, writeFileSync } from "node:fs";
import { accessKubeconfig } from "../../stacks/core/access-env";
import { withAccess } from "./access/with-access";

/** How the stack reaches a cluster: prow-ops:kubernetes.<role> (a kubeconfig path and context), else the ambient kubeconfig. */
export async function clusterAccess(ctx: Context, role: "management" | "workload"): Promise<ClusterAccess> {
  const opened = accessKubeconfig(role);
  if (opened) return { kubeconfig: opened };
  const file = StackFile.load(ctx.stackFile);
  const access = file.config().kubernetes?.[role] ?? {};
  const secret = role === "management" ? "managementKubeconfig" : "workloadKubeconfig";
  if (!file.secretsSet().includes(secret)) return access;
  const inline = await withStack(ctx, {}, async (opened) => (await opened.stack.getConfig(`prow-ops:${secret}`)).value);
  return { ...access, inline };
}

const capi = (ns: string, plural: string, group = "cluster.x-k8s.io") => `/apis/${group}/v1beta1/namespaces/${ns}/${plural}`;

async function tryList(kube: Kube | undefined, path: string, into: StatusInput, what: string): Promise<KubeObject[]> {
  if (!kube) return [];
  try {
    return await kube.list(path);
  } catch (err) {
    into.unreachable[what] = (err as Error).message;
    return [];
  }
}

async function connectOr(ctx: Context, role: "management" | "workload", into: StatusInput): Promise<Kube | undefined> {
  try {
    return await connect(await clusterAccess(ctx, role));
  } catch (err) {
    into.unreachable[`${role} cluster`] = (err as Error).message;
    return undefined;
  }
}

export async function statusCommand(ctx: Context): Promise<void> {
  await withAccess(ctx, {}, () => status(ctx));
}

async function status(ctx: Context): Promise<void> {
  const c = StackFile.load(ctx.stackFile).config().cluster;
  const input: StatusInput = { machineDeployments: [], machines: [], nodes: [], deployments: [], prowJobs: [], unreachable: {} };
  const [mgmt, work] = await Promise.all([connectOr(ctx, "management", input), connectOr(ctx, "workload", input)]);
  const byName = (list: KubeObject[]) => list.find((o) => o.metadata.name === c.name);
  const [clusters, kcps, mds, machines, oscs, nodes, deployments, prowJobs] = await Promise.all([
    tryList(mgmt, capi(c.namespace, "clusters"), input, "clusters"),
    tryList(mgmt, capi(c.namespace, "kubeadmcontrolplanes", "controlplane.cluster.x-k8s.io"), input, "control plane"),
    tryList(mgmt, capi(c.namespace, "machinedeployments"), input, "machinedeployments"),
    tryList(mgmt, capi(c.namespace, "machines"), input, "machines"),
    tryList(mgmt, capi(c.namespace, "openstackclusters", "infrastructure.cluster.x-k8s.io"), input, "openstackcluster"),
    tryList(work, "/api/v1/nodes", input, "nodes"),
    tryList(work, "/apis/apps/v1/namespaces/prow/deployments", input, "prow deployments"),
    tryList(work, "/apis/prow.k8s.io/v1/namespaces/prow/prowjobs", input, "prowjobs"),
  ]);
  Object.assign(input, { cluster: byName(clusters), controlPlane: kcps[0], machineDeployments: mds, machines, openstackCluster: byName(oscs), nodes, deployments, prowJobs });
  const report = summarize(input);
  ctx.reporter.result(report, formatStatus(report));
  if (Object.keys(report.unreachable).length) throw new ProwOpsError("UNREACHABLE", `status is incomplete: ${Object.keys(report.unreachable).join(", ")} could not be read (see above)`);
}

/** `diff <layer>`: the engine's per-object diff of one layer (what `up --target <layer>` would change). */
export async function diffCommand(ctx: Context, layer: LayerName, mirror?: string): Promise<void> {
  await withStack(ctx, { mirror, clusters: [layer] }, async (opened, signal) => {
    let text = "";
    const res = await opened.stack.preview({ target: targetUrns(opened.stackName, [layer]), diff: true, color: ctx.options.color ? "always" : "never", signal, onOutput: (o) => {
      text += o;
    } });
    const changes = Object.entries(res.changeSummary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);
    ctx.reporter.result({ layer, changes: Object.fromEntries(changes), diff: text }, text.trim() || `${layer}: no changes`);
  });
}

/** Which stack config key holds the MachineDeployment called `name`. */
function machineDeploymentKey(c: ClusterConfig, name: string): "workers" | "infraNodes" {
  if (c.workers.name === name) return "workers";
  if (c.infraNodes.name === name) return "infraNodes";
  throw new UsageError(`${JSON.stringify(name)} is not a MachineDeployment of this stack (expected ${c.workers.name} or ${c.infraNodes.name})`);
}

/** Edits the stack file, then applies the cluster layer; restores the file when the change is not applied. */
async function changeAndApply(ctx: Context, edits: Array<[KeyPath, unknown]>): Promise<void> {
  const before = readFileSync(ctx.stackFile, "utf8");
  StackFile.load(ctx.stackFile).update(edits);
  try {
    await upCommand(ctx, { target: ["cluster"] });
  } catch (err) {
    writeFileSync(ctx.stackFile, before);
    throw err;
  }
}

export async function autoscalerCommand(ctx: Context, action: "enable" | "disable", name: string, o: { replicas?: number; min?: number; max?: number }): Promise<void> {
  const c = StackFile.load(ctx.stackFile).config().cluster;
  const key = machineDeploymentKey(c, name);
  const md = c[key];
  if (action === "disable") {
    if (!isAutoscaled(md)) throw new RefusedError(`the autoscaler of ${name} is already disabled (replicas: ${md.replicas})`);
    const replicas = o.replicas ?? (await currentReplicas(ctx, c, name));
    await changeAndApply(ctx, [
      [["cluster", key, "autoscaler", "enabled"], false],
      [["cluster", key, "replicas"], replicas],
    ]);
    return;
  }
  if (isAutoscaled(md)) throw new RefusedError(`the autoscaler of ${name} is already enabled (min ${md.autoscaler?.min}, max ${md.autoscaler?.max})`);
  const min = o.min ?? md.autoscaler?.min;
  const max = o.max ?? md.autoscaler?.max;
  if (min === undefined || max === undefined) throw new UsageError(`${name} has no autoscaler bounds yet: give --min and --max`);
  await changeAndApply(ctx, [
    [["cluster", key, "autoscaler"], { min, max, enabled: true }],
    [["cluster", key, "replicas"], undefined],
  ]);
}

export async function scaleCommand(ctx: Context, name: string, replicas: number): Promise<void> {
  const c = StackFile.load(ctx.stackFile).config().cluster;
  const key = machineDeploymentKey(c, name);
  const md = c[key];
  if (isAutoscaled(md)) {
    throw new RefusedError(
      `the cluster-autoscaler owns the replicas of ${name} (min ${md.autoscaler?.min}, max ${md.autoscaler?.max}): change its bounds (prow-ops config set cluster.${key}.autoscaler.max N), or \`prow-ops autoscaler disable ${name}\` first`,
    );
  }
  if (md.replicas === replicas) throw new RefusedError(`${name} already has ${replicas} replica(s) in the stack`);
  await changeAndApply(ctx, [[["cluster", key, "replicas"], replicas]]);
}

async function currentReplicas(ctx: Context, c: ClusterConfig, name: string): Promise<number> {
  const mds = await withAccess(ctx, { layers: ["cluster"] }, async () => (await connect(await clusterAccess(ctx, "management"))).list(capi(c.namespace, "machinedeployments")));
  const md = mds.find((m) => m.metadata.name === name);
  const replicas = md?.spec?.replicas;
  if (typeof replicas !== "number") throw new RefusedError(`cannot read the current replicas of ${name} from the management cluster: give them with --replicas N`);
  return replicas;
}
