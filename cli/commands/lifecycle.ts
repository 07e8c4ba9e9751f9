/** bootstrap, upgrade-k8s (and its cleanup), node recover: the cluster's life cycle (wiring only). */
import type { Command } from "commander";
import { registerRunbook } from "./runbook";

export function registerLifecycle(program: Command): void {
  registerRunbook(program, {
    command: "bootstrap",
    description: "deploy the whole installation from scratch: bootstrap cluster, Cluster API, the cluster made self-hosted, then infra, Prow and GitHub",
    examples: ["prow-ops bootstrap --plan", "prow-ops bootstrap", "prow-ops bootstrap --operator-ip 203.0.113.10", "prow-ops bootstrap --bootstrap-kubeconfig ~/.kube/bootstrap.yaml", "prow-ops bootstrap --resume"],
    options: (cmd) =>
      cmd
        .option("--bootstrap-kubeconfig <file>", "use this existing cluster as the bootstrap cluster instead of creating a kind one (it is not deleted)")
        .option("--operator-ip <address>", "this machine's public IPv4 address, allowed on the API load balancer for the bootstrap (default: asked of prow-ops:kubernetes.publicAddressUrl)")
        .option("--timeout <duration>", "how long each wait may take (providers, control plane, Nodes, Prow)", "30m"),
    load: async (o, ctx, mode) => (await import("../runbooks/bootstrap")).bootstrap(ctx, o, mode) as never,
  });
  const upgrade = registerRunbook(program, {
    command: "upgrade-k8s",
    description: "upgrade Kubernetes and the node images: new templates, a rolling replacement of every Machine, Prow held meanwhile (or --rollback)",
    examples: [
      "prow-ops upgrade-k8s --plan",
      "prow-ops upgrade-k8s --to v1.31.4",
      "prow-ops upgrade-k8s --to v1.31.4 --build-image --image-builder ~/src/image-builder",
      "prow-ops upgrade-k8s --to v1.31.4 --wait-for-jobs 3h",
      "prow-ops upgrade-k8s --rollback",
      "prow-ops upgrade-k8s --resume",
    ],
    options: (cmd) =>
      cmd
        .option("--to <version>", "the Kubernetes version (one minor step at most, never down)")
        .option("--image <name>", "the node image (default ubuntu-2204-kube-<version>, image-builder's naming)")
        .option("--build-image", "build the image first with image-builder (needs prow-ops:nodeImages, make and packer)")
        .option("--image-builder <dir>", "the image-builder checkout (default $IMAGE_BUILDER_DIR, else ./image-builder)")
        .option("--wait-for-jobs [limit]", "when ProwJobs run, wait for them to finish (up to limit, default 2h) instead of refusing")
        .option("--force", "start even while ProwJobs run (they are killed with their Node; listed first)")
        .option("--no-hold-jobs", "do not hold Prow during the roll (by default plank and tide are scaled to 0 and new jobs queue)")
        .option("--rollback", "switch back to the templates and version the last upgrade left (kept in the stack)")
        .option("--timeout <duration>", "how long to wait for the roll (default 2h)"),
    load: async (o, ctx, mode) => (await import("../runbooks/upgrade-k8s")).upgradeK8s(ctx, o, mode) as never,
  });
  registerRunbook(upgrade, {
    command: "upgrade-k8s cleanup",
    description: "remove OpenStackMachineTemplates (and, with the openstack CLI, their images) older than the rollback window",
    examples: ["prow-ops upgrade-k8s cleanup --plan", "prow-ops upgrade-k8s cleanup --dry-run", "prow-ops upgrade-k8s cleanup --keep 2"],
    options: (cmd) => cmd.option("--keep <n>", "previous placements to keep for a rollback", "1"),
    load: async (o, ctx) => (await import("../runbooks/upgrade-cleanup")).upgradeCleanup(ctx, o) as never,
  });

  const node = program.command("node").description("the cluster's Nodes and Machines");
  registerRunbook(node, {
    command: "node recover",
    description: "replace a failed Node: diagnose, confirm, bounded drain and volume detach on that Machine only, delete it, wait for the replacement",
    argument: { name: "machine", description: "the Machine or the Node to replace" },
    examples: ["prow-ops node recover prow-md-0-7c9f5-x2x4q", "prow-ops node recover prow-md-0-7c9f5-x2x4q --drain-timeout 5m", "prow-ops node recover --resume"],
    options: (cmd) =>
      cmd
        .option("--drain-timeout <duration>", "nodeDrainTimeout set on that Machine", "10m")
        .option("--volume-detach-timeout <duration>", "nodeVolumeDetachTimeout set on that Machine", "15m")
        .option("--timeout <duration>", "how long to wait for the replacement Node", "30m"),
    load: async (o, ctx) => (await import("../runbooks/node-recover")).nodeRecover(ctx, o) as never,
  });
}
