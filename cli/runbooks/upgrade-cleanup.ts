/**
 * `prow-ops upgrade-k8s cleanup [--keep N]`: "consider deleting older OpenStackMachineTemplates,
 * but keep the last used templates in case a rollback is needed. Remember to also delete the
 * images" (reference README). Kept: the templates the cluster is on, those of the last N
 * placements upgrades came from (the rollback window), and any a Machine still runs on.
 */
import { UsageError } from "../../stacks/core/errors";
import type { Context } from "../lib/context";
import { placementOf, readClusterState, templateOf } from "../lib/lifecycle/cluster-state";
import { readHistory } from "../lib/lifecycle/history";
import { imageExists } from "../lib/lifecycle/node-image";
import { type ClusterRunContext, clusterRunContext } from "../lib/lifecycle/run-context";
import type { Runbook, Step } from "../lib/runbook/types";
import { onPath } from "../lib/engine/pulumi-cli";
import { runTool } from "../lib/tools/run";
import { StackFile } from "../lib/stack-file";
import { dependentLayers } from "../../stacks/layers";

const SOURCE = "Upgrading Kubernetes and node images";
const removed = (c: ClusterRunContext) => (c.outputs.removed ?? []) as string[];
const images = (c: ClusterRunContext) => (c.outputs.images ?? []) as string[];
const osmtPath = (ns: string) => `/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/${ns}/openstackmachinetemplates`;

const steps: Step<ClusterRunContext>[] = [
  {
    id: "choose",
    title: "Choose the templates and images outside the rollback window",
    source: SOURCE,
    check: async (c) => Array.isArray(c.outputs.removed),
    run: async (c) => {
      const cfg = c.config();
      const keep = Number(c.options.keep ?? 1);
      const current = placementOf(cfg);
      const window = (await readHistory(c.store, c.stack)).slice(-keep).map((u) => u.from);
      const kept = new Set([current, ...window].flatMap((p) => [p.controlPlane, p.workers, p.infraNodes]));
      // A template some Machine was created from stays, whatever the records say.
      const state = await readClusterState(await c.management(), undefined, cfg);
      for (const m of state.machines) {
        const from = templateOf(state, m);
        if (from) kept.add(from);
      }
      const gone = cfg.cluster.machineTemplates.filter((t) => !kept.has(t.name));
      const stillUsed = new Set([...cfg.cluster.machineTemplates.filter((t) => kept.has(t.name)).map((t) => t.image), cfg.cluster.bastion.image]);
      const freed = [...new Set(gone.map((t) => t.image))].filter((i) => !stillUsed.has(i));
      c.reporter.info(gone.length ? `to remove: ${gone.map((t) => t.name).join(", ")}; images no longer used: ${freed.join(", ") || "none"}; kept: ${[...kept].join(", ")}` : `nothing to remove: every template is in use or in the rollback window (${[...kept].join(", ")})`);
      return { removed: gone.map((t) => t.name), images: freed };
    },
  },
  {
    id: "remove-templates",
    title: "Remove those OpenStackMachineTemplates from the stack and the cluster",
    source: SOURCE,
    destructive: true,
    check: async (c) => {
      const cfg = c.config();
      if (removed(c).some((n) => cfg.cluster.machineTemplates.some((t) => t.name === n))) return false;
      const kube = await c.management();
      for (const n of removed(c)) if (await kube.get(`${osmtPath(cfg.cluster.namespace)}/${n}`)) return false;
      return true;
    },
    run: async (c) => {
      const file = c.stackFile();
      const indexes = c
        .config()
        .cluster.machineTemplates.map((t, i) => (removed(c).includes(t.name) ? i : -1))
        .filter((i) => i >= 0)
        .reverse();
      // One by one from the end: the comments around the templates that stay are kept.
      file.update(indexes.map((i) => [["cluster", "machineTemplates", i], undefined]));
      // The later layers' components depend on the templates in the state: targeted too, or the deletes are skipped.
      await c.up(["cluster"], { components: dependentLayers(c.config(), "cluster") });
      return undefined;
    },
  },
  {
    id: "delete-images",
    title: "Delete the node images no template uses any more (openstack CLI)",
    source: SOURCE,
    check: async (c) => {
      if (!images(c).length) return true;
      if (!onPath("openstack")) return false;
      for (const i of images(c)) if (await imageExists(i, c.signal)) return false;
      return true;
    },
    run: async (c) => {
      if (!onPath("openstack")) {
        c.reporter.warn(`the openstack CLI is not installed: delete the images yourself:\n${images(c).map((i) => `  openstack image delete ${i}`).join("\n")}`);
        return { imagesLeft: images(c) };
      }
      for (const i of images(c)) if (await imageExists(i, c.signal)) await runTool("openstack", { args: ["image", "delete", i], timeoutMs: 120_000, signal: c.signal });
      return undefined;
    },
    verify: async (c) => !onPath("openstack") || (await Promise.all(images(c).map((i) => imageExists(i, c.signal)))).every((e) => !e),
  },
];

export function upgradeCleanup(cli: Context, o: { keep?: string }): Runbook<ClusterRunContext> {
  if (o.keep !== undefined && !/^\d+$/.test(o.keep)) throw new UsageError(`--keep ${JSON.stringify(o.keep)} is not a number of previous placements (0, 1, 2, ...)`);
  return {
    name: "upgrade-cleanup",
    command: "upgrade-k8s cleanup",
    title: "Remove templates and images outside the rollback window",
    steps,
    tools: [],
    confirmationWord: async () => StackFile.load(cli.stackFile).config().cluster.name,
    context: (base) => clusterRunContext(cli, base, { layers: ["cluster"] }),
    managementCluster: (c) => c.management(),
    close: (c) => c.release(),
  };
}
