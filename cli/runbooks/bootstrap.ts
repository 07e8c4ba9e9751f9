/**
 * `prow-ops bootstrap`: the reference README's "Deploying Prow from scratch" as steps. A kind
 * cluster (or --bootstrap-kubeconfig) hosts Cluster API just long enough to create the
 * workload cluster, which then manages itself (`clusterctl init` + `clusterctl move`); the
 * stack's management provider follows the objects, the operator's /32 and the kind cluster
 * go, and the workload layers come on top, GitHub last once hook answers.
 *
 * Kubeconfigs are kept as stack secrets (encrypted in the stack file), never as files: the
 * bootstrap cluster's in managementKubeconfig, the workload's in workloadKubeconfig, and once
 * the cluster manages itself, the same in both.
 */
import { existsSync, readFileSync } from "node:fs";
import { LAYERS, type LayerName } from "../../config/layer-names";
import type { StackConfig } from "../../config/schema";
import { ProwOpsError, RefusedError, UsageError } from "../../stacks/core/errors";
import { SECRET_INFO, SECRET_NAMES, type SecretName } from "../../stacks/core/secret-text";
import { LAYER_SPECS } from "../../stacks/layers";
import { CREATED_BY } from "../../stacks/program/secrets";
import { DEFAULT_PUBLIC_ADDRESS_URL } from "../lib/access/access-command";
import { oscListPath } from "../lib/access/load-balancer";
import { describe, detectPublicAddress, dropTemporary, listTemporary, recordTemporary, singleAddress } from "../lib/access/temporary-cidrs";
import { rolesBehindBastion } from "../lib/access/with-access";
import { setSecret } from "../lib/automation";
import { GENERATORS } from "../lib/secrets-commands";
import type { Context } from "../lib/context";
import { clusterProvisioned, nodesState, providersNotReady, prowProblems } from "../lib/lifecycle/bootstrap-checks";
import { clusterctlGetKubeconfig, clusterctlInit, clusterctlMove, kindClusterName, kindClusters, kindCreate, kindDelete, kubeconfigLine, providersInstalled } from "../lib/lifecycle/bootstrap-tools";
import { placementOf } from "../lib/lifecycle/cluster-state";
import { durationMs, parseDuration } from "../lib/lifecycle/duration";
import { imageExists } from "../lib/lifecycle/node-image";
import { pollUntil } from "../lib/lifecycle/poll";
import { type ClusterRunContext, clusterRunContext } from "../lib/lifecycle/run-context";
import type { Runbook, Step } from "../lib/runbook/types";
import { StackFile } from "../lib/stack-file";

const SOURCE = "Deploying Prow from scratch";

export interface BootstrapOptions {
  bootstrapKubeconfig?: string;
  operatorIp?: string;
  timeout?: string;
}

type C = ClusterRunContext;
const opt = (c: C) => c.options as BootstrapOptions;
const declaredLayers = (cfg: StackConfig): LayerName[] => LAYERS.filter((l) => !cfg.layers || cfg.layers.includes(l));
const declared = (c: C, layer: LayerName) => declaredLayers(c.config()).includes(layer);

const secretSet = (c: C, name: SecretName) => c.stackFile().secretsSet().includes(name);
async function secretValue(c: C, name: SecretName): Promise<string | undefined> {
  return secretSet(c, name) ? (await c.opened.stack.getConfig(`prow-ops:${name}`)).value : undefined;
}

/** The cluster manages itself: the stack reaches the management cluster as the workload one. */
async function selfHosted(c: C): Promise<boolean> {
  const workload = await secretValue(c, "workloadKubeconfig");
  return Boolean(workload) && workload === (await secretValue(c, "managementKubeconfig"));
}

async function answers(c: C, role: "management" | "workload"): Promise<boolean> {
  const name: SecretName = role === "management" ? "managementKubeconfig" : "workloadKubeconfig";
  if (!secretSet(c, name)) return false;
  return (await (role === "management" ? c.management() : c.workload())).probe(5000).catch(() => false);
}

const waitTimeout = (c: C) => durationMs(opt(c).timeout ?? "30m") as number;

/** Waits until `problem` reads nothing wrong (undefined), reporting what it waits for. */
async function waitUntilReady(c: C, what: string, problem: () => Promise<string | undefined>): Promise<void> {
  await pollUntil(problem, {
    done: (p) => p === undefined,
    timeoutMs: waitTimeout(c),
    signal: c.signal,
    intervalMs: 2000,
    cancelled: `stopped waiting for ${what} (interrupted)`,
    timedOut: (p) => `${what}: not reached within ${opt(c).timeout ?? "30m"}: ${p}`,
    progress: (p) => `  waiting for ${what}: ${p}`,
    report: (t) => c.reporter.info(t),
  });
}

/** The layer's resources are as declared: applied earlier in this run, or a preview changes nothing. */
async function layerApplied(c: C, layer: LayerName): Promise<boolean> {
  return c.outputs[`applied:${layer}`] === true || (await c.operate("preview", [layer])).changed.length === 0;
}

/** The cluster the layer goes to is one this run created (else nothing of it can be checked yet: the ambient kubeconfig is not it). */
const clusterKnown = async (c: C, layer: LayerName) => {
  const role = LAYER_SPECS[layer].cluster;
  return !role || secretSet(c, role === "management" ? "managementKubeconfig" : "workloadKubeconfig");
};

/** One `up` of a layer (skipped when the stack does not declare it), then what must be ready after it. */
function layerStep(layer: LayerName, o: { title: string; source: string; ready?: { what: string; problem: (c: C) => Promise<string | undefined> } }): Step<C> {
  return {
    id: layer,
    title: o.title,
    source: o.source,
    check: async (c) => !declared(c, layer) || ((await clusterKnown(c, layer)) && (await layerApplied(c, layer)) && (!o.ready || (await o.ready.problem(c)) === undefined)),
    run: async (c) => {
      await c.up([layer]);
      if (o.ready) await waitUntilReady(c, o.ready.what, () => o.ready?.problem(c) ?? Promise.resolve(undefined));
      return { [`applied:${layer}`]: true };
    },
    verify: async (c) => !o.ready || (await o.ready.problem(c)) === undefined,
  };
}

/** The layers applied by the time capi is retired: capi itself and those that depend on it. */
const RETIRE_TARGETS: LayerName[] = ["capi", "cluster", "cluster-resources"];

const clusterPath = (cfg: StackConfig) => `/apis/cluster.x-k8s.io/v1beta1/namespaces/${cfg.cluster.namespace}/clusters/${cfg.cluster.name}`;

/** The address, once the preflight learned it (or as given: a dry run has no preflight outputs). */
const knownCidr = (c: C) => (c.outputs.operatorCidr as string | undefined) ?? (opt(c).operatorIp ? singleAddress(opt(c).operatorIp as string) : undefined);

const operatorCidr = (c: C) => {
  if (!c.outputs.operatorCidr) throw new ProwOpsError("STEP", "the operator's address is not known: run the preflight step first (without --from)");
  return c.outputs.operatorCidr as string;
};

/** Whether the stack's state still holds resources of this layer. */
async function layerInState(c: C, layer: LayerName): Promise<boolean> {
  const type = LAYER_SPECS[layer].type;
  const state = await c.opened.stack.exportStack();
  return ((state.deployment as { resources?: Array<{ urn: string }> }).resources ?? []).some((r) => r.urn.split("::")[2]?.split("$").includes(type));
}

/** The Cluster lives (unpaused) in the workload cluster: the move is done. */
async function movedToWorkload(c: C): Promise<boolean> {
  if (!(await answers(c, "workload"))) return false;
  const cluster = await (await c.workload()).get(clusterPath(c.config()));
  return Boolean(cluster) && !(cluster?.spec as { paused?: boolean } | undefined)?.paused;
}

const unlessMoved = (step: Step<C>): Step<C> => ({ ...step, check: async (c) => (await movedToWorkload(c)) || step.check(c) });

async function oscAllows(c: C, cidr: string): Promise<boolean> {
  const cfg = c.config();
  const osc = await (await c.management()).get(`${oscListPath(cfg)}/${cfg.cluster.name}`);
  return ((osc?.spec as { apiServerLoadBalancer?: { allowedCIDRs?: string[] } } | undefined)?.apiServerLoadBalancer?.allowedCIDRs ?? []).includes(cidr);
}

/** Secrets the run needs that no one has set: the required ones, and those a layer would create when that layer is not part of this stack. */
function missingSecrets(c: C): SecretName[] {
  const set = new Set(c.stackFile().secretsSet());
  const layers = declaredLayers(c.config());
  return SECRET_NAMES.filter((n) => !set.has(n) && (SECRET_INFO[n].whenUnset === "required" || (CREATED_BY[n] && !layers.includes(CREATED_BY[n]?.[0] as LayerName))));
}

const steps: Step<C>[] = [
  {
    id: "preflight",
    title: "Preflight: credentials in the stack, the node images exist, the operator's public address",
    source: SOURCE,
    check: async (c) => Boolean(c.outputs.operatorCidr),
    run: async (c) => {
      const cfg = c.config();
      // An installation that exists (its cluster in the state) and that this command did not start is never built a second time.
      if (!secretSet(c, "managementKubeconfig") && (await layerInState(c, "cluster"))) {
        throw new RefusedError(`stack ${c.stack} already holds a cluster in its state: bootstrap builds a new installation (or resumes one it started). For this one use prow-ops preview / up, or status. Nothing was changed.`);
      }
      const missing = missingSecrets(c);
      if (missing.length) throw new RefusedError(`the stack lacks these credentials: ${missing.join(", ")}\nSet each with prow-ops secrets set <name> (prow-ops secrets list shows them all). Nothing was changed.`);
      const p = placementOf(cfg);
      const images = [...new Set([p.controlPlane, p.workers, p.infraNodes].map((t) => cfg.cluster.machineTemplates.find((m) => m.name === t)?.image).filter((i): i is string => Boolean(i)))];
      for (const image of images) {
        if (!(await imageExists(image, c.signal))) throw new RefusedError(`the node image ${image} does not exist in OpenStack (openstack image show ${image}): build it first (reference README, "Building node images"). Nothing was changed.`);
      }
      // prow (step 17) needs the HMAC token before the github layer (step 19) that would create it.
      if (declaredLayers(cfg).includes("github") && !secretSet(c, "hmacToken")) {
        await setSecret(c.opened.stack, "hmacToken", GENERATORS.hmac.make());
        c.reporter.info("hmacToken generated into the stack (as `prow-ops secrets generate hmac`): Prow comes up before the github layer that would otherwise create it");
      }
      const o = opt(c);
      if (o.bootstrapKubeconfig && !existsSync(o.bootstrapKubeconfig)) throw new UsageError(`--bootstrap-kubeconfig ${o.bootstrapKubeconfig}: no such file`);
      const cidr = o.operatorIp ? singleAddress(o.operatorIp) : await detectPublicAddress(cfg.kubernetes?.publicAddressUrl ?? DEFAULT_PUBLIC_ADDRESS_URL);
      const allowed = (await selfHosted(c)) ? "is not needed: the cluster already manages itself" : "is allowed on the API load balancer until the cluster manages itself";
      c.reporter.info(`bootstrap of stack ${c.stack}: layers ${declaredLayers(cfg).join(", ")}; node images ${images.join(", ")} found; this machine's address ${cidr} ${allowed}`);
      return { operatorCidr: cidr };
    },
  },
  layerStep("openstack", { title: "OpenStack: the application credential (clouds.yaml, cloud.conf), the EC2 credential, the buckets and their log lifecycle", source: "Create credentials; Set up S3 object storage buckets" }),
  {
    id: "bootstrap-cluster",
    title: "Create the bootstrap cluster (kind), or take --bootstrap-kubeconfig",
    source: `${SOURCE}: 1. Create a bootstrap cluster (kind)`,
    check: async (c) => (await selfHosted(c)) || (await answers(c, "management")),
    run: async (c) => {
      const o = opt(c);
      const text = o.bootstrapKubeconfig ? readFileSync(o.bootstrapKubeconfig, "utf8") : await kindCreate(kindClusterName(c.stack), c.signal);
      await setSecret(c.opened.stack, "managementKubeconfig", kubeconfigLine(text));
      return undefined;
    },
    verify: (c) => answers(c, "management"),
  },
  layerStep("capi", {
    title: "Cluster API in the bootstrap cluster: cert-manager, the operator and the providers in one up, then wait until they are Ready",
    source: `${SOURCE}: 1. kubectl apply -k capi (no "apply again": the stack orders CRDs and webhooks)`,
    ready: {
      what: "the Cluster API providers",
      problem: async (c) => {
        const waiting = await providersNotReady(await c.management(), c.config());
        return waiting.length ? `not Ready yet: ${waiting.join(", ")}` : undefined;
      },
    },
  }),
  {
    id: "allow-operator",
    title: "Allow this machine's address on the API load balancer for the bootstrap",
    source: `${SOURCE}: 3. Temporarily allow access from your public IP`,
    check: async (c) => (await selfHosted(c)) || (await listTemporary(c.store, c.stack)).some((e) => e.cidr === knownCidr(c)),
    run: async (c) => {
      // Declared to the program here; the next step's up puts it into allowedCIDRs.
      await recordTemporary(c.store, c.stack, operatorCidr(c), c.runId);
      return undefined;
    },
  },
  // Once moved, the cluster layer follows the objects in the steps after the move.
  unlessMoved(
    layerStep("cluster", {
      title: "The cluster (CAPO): network, load balancer, bastion, control plane and workers; wait until its control plane is ready",
      source: `${SOURCE}: 2. Create cluster`,
      ready: { what: "the Cluster's infrastructure and control plane", problem: async (c) => ((await clusterProvisioned(await c.management(), c.config())) ? undefined : "Cluster not provisioned yet") },
    }),
  ),
  {
    id: "workload-kubeconfig",
    title: "The workload cluster's kubeconfig (clusterctl get kubeconfig), kept as a stack secret",
    source: `${SOURCE}: 4. Get kubeconfig`,
    check: (c) => answers(c, "workload"),
    run: async (c) => {
      const text = await clusterctlGetKubeconfig((await secretValue(c, "managementKubeconfig")) as string, c.config(), c.signal);
      await setSecret(c.opened.stack, "workloadKubeconfig", kubeconfigLine(text));
      // The load balancer admits the new address only once CAPO has programmed it.
      await waitUntilReady(c, "the workload API to answer", async () => ((await answers(c, "workload")) ? undefined : "no answer yet"));
      return undefined;
    },
  },
  {
    id: "access-path",
    title: "The path to the workload cluster (through the bastion when the stack says so)",
    source: `${SOURCE}: 4. set up proxy for accessing API through the bastion`,
    check: async (c) => !rolesBehindBastion(c.config(), ["cluster-resources"]).length,
    run: async (c) => {
      await c.openPath((await selfHosted(c)) ? [...LAYERS] : ["cluster-resources", "infra", "prow"]);
      return undefined;
    },
    verify: (c) => answers(c, "workload"),
  },
  layerStep("cluster-resources", {
    title: "Cloud provider, CSI, CNI and autoscaler; wait until every Node is Ready",
    source: `${SOURCE}: 5. Install cloud-provider, cluster-autoscaler and CNI`,
    ready: {
      what: "every Node Ready",
      problem: async (c) => {
        const s = await nodesState(await c.workload());
        return !s.total ? "no Node yet" : s.notReady.length ? `${s.notReady.length}/${s.total} not Ready: ${s.notReady.join(", ")}` : undefined;
      },
    },
  }),
  {
    id: "clusterctl-init",
    title: "Install the Cluster API providers in the workload cluster (clusterctl init, the stack's pinned versions)",
    source: `${SOURCE}: 6. Make cluster self-hosted (clusterctl init)`,
    check: async (c) => secretSet(c, "workloadKubeconfig") && (await providersInstalled(await c.workload(), c.config())),
    run: async (c) => {
      await clusterctlInit((await secretValue(c, "workloadKubeconfig")) as string, c.config(), c.signal);
      return undefined;
    },
  },
  {
    id: "move",
    title: "Move the Cluster API objects to the workload cluster (clusterctl move)",
    source: `${SOURCE}: 6. Make cluster self-hosted (clusterctl move)`,
    destructive: true,
    check: movedToWorkload,
    run: async (c) => {
      const cfg = c.config();
      const source = (await answers(c, "management")) ? await (await c.management()).get(clusterPath(cfg)) : undefined;
      if (source) await clusterctlMove((await secretValue(c, "managementKubeconfig")) as string, (await secretValue(c, "workloadKubeconfig")) as string, cfg, c.signal);
      else {
        // A move stopped after it deleted the source: what is left of it is the target's unpause.
        c.reporter.warn(`the Cluster ${cfg.cluster.name} is already gone from the bootstrap cluster: finishing the interrupted move by unpausing it in the workload cluster`);
        await (await c.workload()).apply(clusterPath(cfg), { apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Cluster", metadata: { name: cfg.cluster.name, namespace: cfg.cluster.namespace }, spec: { paused: false } }, "clusterctl");
      }
      return undefined;
    },
  },
  {
    id: "retire-capi",
    title: "Take the capi layer out of the stack (the providers are clusterctl's now) and remove it from the bootstrap cluster",
    source: `${SOURCE}: 6. Make cluster self-hosted`,
    // Read from the state: a preview cannot target a layer that is gone from program and state.
    check: async (c) => !declared(c, "capi") && !(await layerInState(c, "capi")),
    run: async (c) => {
      const layers = declaredLayers(c.config()).filter((l) => l !== "capi");
      c.stackFile().update([[["layers"], layers]]);
      // The layers after capi depend on it (each layer waits for the one before): they are
      // in the same up, so the engine can delete capi's objects once they no longer do.
      await c.up(RETIRE_TARGETS);
      return undefined;
    },
  },
  {
    id: "repoint-management",
    title: "Point the stack's management provider at the workload cluster (state follows the objects), refresh, and recreate what move left behind",
    source: `${SOURCE}: 6. Make cluster self-hosted (export KUBECONFIG=capo-cluster/kubeconfig.yaml)`,
    check: async (c) => (await selfHosted(c)) && (c.outputs.repointed === true || (await c.operate("preview", ["cluster"])).changed.length === 0),
    run: async (c) => {
      await setSecret(c.opened.stack, "managementKubeconfig", (await secretValue(c, "workloadKubeconfig")) as string);
      const k = c.config().kubernetes;
      const edits: Array<[Array<string | number>, unknown]> = [[["kubernetes", "management"], undefined]];
      if (k?.bastion?.clusters.includes("workload") && !k.bastion.clusters.includes("management")) edits.push([["kubernetes", "bastion", "clusters"], [...k.bastion.clusters, "management"]]);
      c.stackFile().update(edits);
      await c.openPath([...LAYERS]);
      // The provider's new kubeconfig (an update: same clusterIdentifier), then the state read
      // from the new cluster: templates no Cluster owns stayed behind and are created again.
      await c.up(["cluster"]);
      await c.operate("refresh", ["cluster"]);
      await c.up(["cluster"]);
      return { repointed: true };
    },
  },
  {
    id: "remove-operator-ip",
    title: "Remove this machine's address from the API load balancer",
    source: `${SOURCE}: 7. Remove the temporary access from your public IP`,
    check: async (c) => {
      const cidr = knownCidr(c);
      return Boolean(cidr) && (await selfHosted(c)) && !(await listTemporary(c.store, c.stack)).some((e) => e.cidr === cidr) && !(await oscAllows(c, cidr as string));
    },
    run: async (c) => {
      await dropTemporary(c.store, c.stack, [operatorCidr(c)]);
      await c.up(["cluster"]);
      return undefined;
    },
  },
  {
    id: "delete-bootstrap-cluster",
    title: "Delete the bootstrap cluster (kind; one given with --bootstrap-kubeconfig is left alone)",
    source: `${SOURCE}: 7. kind cluster delete`,
    check: async (c) => {
      if (opt(c).bootstrapKubeconfig) return true;
      // Its goal holds only once the cluster manages itself (before, the bootstrap cluster is needed).
      if (!(await selfHosted(c))) return false;
      // A dry run checks no tools first: without kind, the step would run.
      const listed = await kindClusters(c.signal).catch((err) => (c.dryRun ? [kindClusterName(c.stack)] : Promise.reject(err)));
      return !listed.includes(kindClusterName(c.stack));
    },
    run: async (c) => {
      await kindDelete(kindClusterName(c.stack), c.signal);
      return undefined;
    },
  },
  layerStep("infra", { title: "Ingress controller, ClusterIssuer, StorageClass and monitoring", source: `${SOURCE}: 8. Add ingress-controller, ClusterIssuer and StorageClass` }),
  layerStep("prow", { title: "Prow: the ProwJob CRD (server-side), every component, and the config ConfigMaps", source: `${SOURCE}: 10. Deploy Prow; 11. Create config` }),
  {
    id: "health-check",
    title: "Prow healthy: every Deployment available, hook ready, ProwJobs listable",
    source: SOURCE,
    check: async (c) => !declared(c, "prow") || (secretSet(c, "workloadKubeconfig") && (await prowProblems(await c.workload())).length === 0),
    run: async (c) => {
      await waitUntilReady(c, "Prow to be healthy", async () => {
        const problems = await prowProblems(await c.workload());
        return problems.length ? problems.join("; ") : undefined;
      });
      return undefined;
    },
  },
  layerStep("github", { title: "GitHub: the webhooks (with the HMAC token), now that hook answers", source: "GitHub configuration" }),
];

export function validateBootstrapOptions(o: BootstrapOptions): BootstrapOptions {
  if (o.operatorIp) singleAddress(o.operatorIp);
  if (o.timeout) parseDuration("--timeout", o.timeout);
  if (o.bootstrapKubeconfig !== undefined && !o.bootstrapKubeconfig.trim()) throw new UsageError("--bootstrap-kubeconfig needs the path of a kubeconfig");
  return o;
}

export function bootstrap(cli: Context, options: BootstrapOptions, mode: { plan?: boolean; resume?: boolean } = {}): Runbook<C> {
  if (!mode.plan && !mode.resume) validateBootstrapOptions(options);
  return {
    name: "bootstrap",
    command: "bootstrap",
    title: "Deploy the whole installation from scratch",
    steps,
    tools: (o) => ((o as BootstrapOptions).bootstrapKubeconfig ? ["clusterctl", "openstack"] : ["kind", "clusterctl", "openstack"]),
    confirmationWord: async () => StackFile.load(cli.stackFile).config().cluster.name,
    context: async (base) => {
      // No path yet: the workload cluster does not exist; the access-path step opens it. Once
      // the cluster manages itself (a finished installation, or a resumed run past the
      // re-point), the bastion may be its only way in from the first check on.
      const c = await clusterRunContext(cli, base, { layers: [] });
      if ((await selfHosted(c)) && rolesBehindBastion(c.config()).length) await c.openPath([...LAYERS]);
      return c;
    },
    managementCluster: async (c) => ((await answers(c, "management")) ? c.management() : undefined),
    explainStop: async (c) => {
      const cidr = c.outputs.operatorCidr as string | undefined;
      const left = cidr ? (await listTemporary(c.store, c.stack)).filter((e) => e.cidr === cidr) : [];
      return left.length ? `The API load balancer still admits ${left.map(describe).join(", ")}: resume the run; it is removed once the cluster manages itself.` : undefined;
    },
    close: (c) => c.release(),
  };
}
