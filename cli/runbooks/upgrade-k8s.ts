/**
 * `prow-ops upgrade-k8s --to vX.Y.Z [--image NAME] [--build-image]` and `--rollback`: the
 * reference README's "Upgrading Kubernetes and node images" as steps. New
 * OpenStackMachineTemplates named after the version are added beside the old ones (kept for a
 * rollback), the KubeadmControlPlane and MachineDeployments are switched to them and to the
 * version through the stack, and the run waits until every Machine and Node runs it. Jobs
 * come first: the roll starts only when no ProwJob is queued or running, and Prow is held
 * (see lifecycle/prow-jobs.ts) until the roll is done.
 */
import type { StackConfig } from "../../config/schema";
import { ProwOpsError, RefusedError, UsageError } from "../../stacks/core/errors";
import type { Context } from "../lib/context";
import { type ClusterState, type Placement, placementOf, problems, readClusterState, rollout, specAt } from "../lib/lifecycle/cluster-state";
import { durationMs, parseDuration } from "../lib/lifecycle/duration";
import { pollUntil } from "../lib/lifecycle/poll";
import { readHistory, recordUpgrade, rollbackTarget, samePlacement } from "../lib/lifecycle/history";
import { buildImage, imageExists } from "../lib/lifecycle/node-image";
import { activeJobs, describeJobs, holdProw, HELD_DEPLOYMENTS, prowHeld, prowReleased, releaseProw, waitForNoJobs } from "../lib/lifecycle/prow-jobs";
import { type ClusterRunContext, clusterRunContext } from "../lib/lifecycle/run-context";
import { type MachineTemplate, defaultImageName, parseVersion, placementEdits, planUpgrade } from "../lib/lifecycle/upgrade-plan";
import type { Runbook, Step } from "../lib/runbook/types";
import { StackFile } from "../lib/stack-file";

const SOURCE = "Upgrading Kubernetes and node images";
const PROW_NAMESPACE = "prow";

export interface UpgradeOptions {
  to?: string;
  image?: string;
  buildImage?: boolean;
  imageBuilder?: string;
  waitForJobs?: string | boolean;
  force?: boolean;
  holdJobs?: boolean;
  rollback?: boolean;
  timeout?: string;
}

/** What the first step decided (journaled). */
interface Decided {
  from: Placement;
  to: Placement;
  image?: string;
  newTemplates: MachineTemplate[];
}

const decided = (c: ClusterRunContext): Decided => {
  if (!c.outputs.to) throw new ProwOpsError("STEP", "the upgrade's target is not known: run the preflight step first (without --from)");
  return c.outputs as unknown as Decided;
};
const opt = (c: ClusterRunContext) => c.options as UpgradeOptions;

async function state(c: ClusterRunContext): Promise<ClusterState> {
  return readClusterState(await c.management(), await c.workload(), c.config());
}

/** The roll is over: the stack and the cluster at the target, every Machine and Node on it. */
async function rolledOut(c: ClusterRunContext, to: Placement): Promise<boolean> {
  const s = await state(c);
  return samePlacement(placementOf(c.config()), to) && specAt(s, c.config(), to) && rollout(s, to).done;
}

const templatesDeclared = (cfg: StackConfig, names: string[]) => names.every((n) => cfg.cluster.machineTemplates.some((t) => t.name === n));

async function templatesExist(c: ClusterRunContext, names: string[]): Promise<boolean> {
  const cfg = c.config();
  if (!templatesDeclared(cfg, names)) return false;
  const kube = await c.management();
  for (const n of names) if (!(await kube.get(`/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/${cfg.cluster.namespace}/openstackmachinetemplates/${n}`))) return false;
  return true;
}

const steps: Step<ClusterRunContext>[] = [
  {
    id: "preflight",
    title: "Preflight: cluster healthy, version step allowed (one minor, never down), node image exists",
    source: SOURCE,
    check: async (c) => Boolean(c.outputs.to),
    run: async (c) => {
      const cfg = c.config();
      const o = opt(c);
      const s = await state(c);
      const wrong = problems(s, cfg);
      const from = placementOf(cfg);
      let plan: Decided;
      if (o.rollback) {
        const back = rollbackTarget(await readHistory(c.store, c.stack), from);
        if (!back) throw new RefusedError(`no recorded upgrade of stack ${c.stack} led to the cluster's current placement (${from.version}, ${from.controlPlane}): there is nothing to roll back to`);
        const missing = [back.controlPlane, back.workers, back.infraNodes].filter((n) => !cfg.cluster.machineTemplates.some((t) => t.name === n));
        if (missing.length) throw new RefusedError(`the templates of the previous placement are gone from the stack (${missing.join(", ")}): a rollback needs them (add them back to cluster.machineTemplates)`);
        plan = { from, to: back, newTemplates: [] };
      } else {
        const to = o.to as string;
        const image = o.image ?? defaultImageName(to);
        const p = planUpgrade(cfg, to, image);
        plan = { from, to: p.to, image, newTemplates: p.newTemplates };
      }
      // An upgrade is only started on a healthy cluster; a rollback is what repairs a broken roll.
      if (wrong.length && !o.rollback) throw new RefusedError(`the cluster is not healthy, so no upgrade starts now:\n  ${wrong.join("\n  ")}\nRepair it first (prow-ops status; prow-ops node recover <machine>)`);
      if (plan.image && !o.buildImage && !(await imageExists(plan.image, c.signal))) {
        throw new RefusedError(`the node image ${plan.image} does not exist in OpenStack (openstack image show ${plan.image}): build it with --build-image, or name an existing one with --image`);
      }
      c.reporter.info(
        [
          `upgrade ${o.rollback ? "(rollback) " : ""}${plan.from.version} → ${plan.to.version}${plan.image ? `, image ${plan.image}` : ""}`,
          `  control plane: ${plan.from.controlPlane} → ${plan.to.controlPlane}`,
          `  ${cfg.cluster.workers.name}: ${plan.from.workers} → ${plan.to.workers}`,
          `  ${cfg.cluster.infraNodes.name}: ${plan.from.infraNodes} → ${plan.to.infraNodes}`,
          ...(plan.newTemplates.length ? [`  new templates: ${plan.newTemplates.map((t) => t.name).join(", ")} (the old ones are kept for a rollback)`] : []),
        ].join("\n"),
      );
      return plan as unknown as Record<string, unknown>;
    },
    verify: async (c) => Boolean(c.outputs.to),
  },
  {
    id: "build-image",
    title: "Build the node image with image-builder (only with --build-image)",
    source: "Building node images",
    check: async (c) => !opt(c).buildImage || !decided(c).image || (await imageExists(decided(c).image as string, c.signal)),
    run: async (c) => {
      const cfg = c.config();
      await buildImage({ config: cfg, version: decided(c).to.version, imageName: decided(c).image as string, imageBuilder: opt(c).imageBuilder, signal: c.signal, report: (t) => c.reporter.info(t) });
      return { builtImage: decided(c).image };
    },
  },
  {
    id: "maintenance-window",
    title: "Wait for a window with no ProwJob queued or running (or --force)",
    source: SOURCE,
    check: async (c) => Boolean(c.outputs.windowOpen) || (await rolledOut(c, decided(c).to)),
    run: async (c) => {
      const o = opt(c);
      const workload = await c.workload();
      const jobs = await activeJobs(workload);
      if (jobs.length) {
        if (o.force) {
          c.reporter.warn(`--force: the roll starts while ${jobs.length} ProwJob(s) run; these are killed when their Node is drained and are not restarted:\n${describeJobs(jobs)}`);
        } else if (o.waitForJobs) {
          const limit = typeof o.waitForJobs === "string" ? o.waitForJobs : "2h";
          await waitForNoJobs(workload, { timeoutMs: durationMs(limit) as number, signal: c.signal, report: (t) => c.reporter.info(t) });
        } else {
          throw new RefusedError(
            `${jobs.length} ProwJob(s) are queued or running; a roll deletes the Nodes they run on and they are not restarted:\n${describeJobs(jobs)}\nRun again with --wait-for-jobs [limit] to start once they finish, or --force to kill them. Nothing was changed.`,
          );
        }
      }
      return { windowOpen: true };
    },
    verify: async () => true,
  },
  {
    id: "hold-prow",
    title: `Hold Prow for the roll (${HELD_DEPLOYMENTS.join(" and ")} scaled to 0: new jobs wait as ProwJobs, nothing merges)`,
    source: SOURCE,
    check: async (c) => !opt(c).holdJobs || Boolean(c.outputs.held) || (await rolledOut(c, decided(c).to)),
    run: async (c) => {
      const held = await holdProw(await c.workload(), PROW_NAMESPACE);
      if (Object.keys(held).length) c.reporter.warn(`Prow is held until the roll ends: jobs GitHub triggers now are queued (ProwJobs "triggered", no pod) and start at the release; tide merges nothing meanwhile`);
      return { held };
    },
    verify: async (c) => prowHeld(await c.workload(), PROW_NAMESPACE, (c.outputs.held ?? {}) as Record<string, number>),
  },
  {
    id: "create-templates",
    title: "Add the new OpenStackMachineTemplates (named after the version) through the stack",
    source: SOURCE,
    check: async (c) => templatesExist(c, decided(c).newTemplates.map((t) => t.name)),
    run: async (c) => {
      const file = c.stackFile();
      const declared = c.config().cluster.machineTemplates;
      const missing = decided(c).newTemplates.filter((t) => !declared.some((d) => d.name === t.name));
      file.update(missing.map((t, i) => [["cluster", "machineTemplates", declared.length + i], t]));
      await c.up(["cluster"]);
      return undefined;
    },
  },
  {
    id: "switch-cluster",
    title: "Switch the KubeadmControlPlane and MachineDeployments to the new templates and version (through the stack)",
    source: SOURCE,
    destructive: true,
    check: async (c) => samePlacement(placementOf(c.config()), decided(c).to) && specAt(await state(c), c.config(), decided(c).to),
    run: async (c) => {
      c.stackFile().update(placementEdits(decided(c).to));
      await c.up(["cluster"]);
      return undefined;
    },
  },
  {
    id: "wait-rollout",
    title: "Wait until every Machine and Node runs the new version and is Ready",
    source: SOURCE,
    check: async (c) => rollout(await state(c), decided(c).to).done,
    run: async (c) => {
      await pollUntil(async () => rollout(await state(c), decided(c).to), {
        done: (r) => r.done,
        timeoutMs: durationMs(opt(c).timeout ?? "2h") as number,
        signal: c.signal,
        intervalMs: 2000,
        cancelled: "stopped waiting for the roll (interrupted); the roll itself goes on in the cluster",
        timedOut: (r) => `the roll did not finish within ${opt(c).timeout ?? "2h"}: ${r.summary}\nLook at the Machines (prow-ops status); --rollback returns to the previous templates`,
        progress: (r) => `  ${r.summary}`,
        report: (t) => c.reporter.info(t),
      });
      return undefined;
    },
  },
  {
    id: "release-prow",
    title: "Release Prow (replicas back; the queued jobs start)",
    source: SOURCE,
    check: async (c) => !c.outputs.held || (await prowReleased(await c.workload(), PROW_NAMESPACE, c.outputs.held as Record<string, number>)),
    run: async (c) => {
      await releaseProw(await c.workload(), PROW_NAMESPACE, c.outputs.held as Record<string, number>);
      return undefined;
    },
  },
  {
    id: "record",
    title: "Record the upgrade for the team (what --rollback and cleanup rely on)",
    source: SOURCE,
    check: async (c) => samePlacement(decided(c).from, decided(c).to) || (await readHistory(c.store, c.stack)).some((u) => u.runId === c.runId),
    run: async (c) => {
      await recordUpgrade(c.store, c.stack, { runId: c.runId, time: new Date().toISOString(), from: decided(c).from, to: decided(c).to, ...(opt(c).rollback ? { rollback: true } : {}) });
      return undefined;
    },
  },
];

export function validateUpgradeOptions(o: UpgradeOptions): UpgradeOptions {
  if (o.rollback && (o.to || o.image || o.buildImage)) throw new UsageError("--rollback returns to the previous templates and version: it takes no --to, --image or --build-image");
  if (!o.rollback && !o.to) throw new UsageError("--to vX.Y.Z is required (the Kubernetes version to upgrade to), or --rollback");
  if (o.to) parseVersion("--to", o.to);
  if (o.image !== undefined && !o.image.trim()) throw new UsageError("--image needs an image name (as in openstack image list)");
  if (typeof o.waitForJobs === "string") parseDuration("--wait-for-jobs", o.waitForJobs);
  if (o.timeout) parseDuration("--timeout", o.timeout);
  if (o.force && o.waitForJobs) throw new UsageError("--force and --wait-for-jobs exclude each other: wait for the jobs, or kill them");
  return { holdJobs: true, ...o };
}

export function upgradeK8s(cli: Context, options: UpgradeOptions, mode: { plan?: boolean; resume?: boolean } = {}): Runbook<ClusterRunContext> {
  if (!mode.plan && !mode.resume) validateUpgradeOptions(options);
  return {
    name: "upgrade-k8s",
    command: "upgrade-k8s",
    title: "Upgrade Kubernetes and the node images (or roll back)",
    steps,
    tools: (o) => ((o as UpgradeOptions).buildImage ? ["openstack", "make", "packer"] : ["openstack"]),
    confirmationWord: async () => StackFile.load(cli.stackFile).config().cluster.name,
    context: (base) => clusterRunContext(cli, { ...base, options: { holdJobs: true, ...base.options } }, { layers: ["cluster", "prow"] }),
    managementCluster: (c) => c.management(),
    explainStop: async (c) => {
      const held = c.outputs.held as Record<string, number> | undefined;
      if (!held || !Object.keys(held).length) return undefined;
      const released = await prowReleased(await c.workload(), PROW_NAMESPACE, held).catch(() => false);
      if (released) return undefined;
      return `Prow is still held (${Object.entries(held).map(([n, r]) => `${n} normally ${r}`).join(", ")}): resume the run to finish and release it, or release it now with\n${Object.entries(held).map(([n, r]) => `  kubectl -n ${PROW_NAMESPACE} scale deployment ${n} --replicas=${r}`).join("\n")}`;
    },
    close: (c) => c.release(),
  };
}
