/**
 * What every life-cycle runbook (upgrade-k8s, node recover, ...) works with: the stack
 * opened, the path to the clusters held for the whole run (through the bastion when the stack
 * says so), clients for both clusters, the stack file, and `up` of chosen layers.
 */
import type { LayerName } from "../../../config/layer-names";
import type { StackConfig } from "../../../config/schema";
import type { Kube } from "../../../stacks/core/kube-client";
import { applyLayers, clusterKube, operateLayers } from "../access/load-balancer";
import type { ChangeSummary, Operation } from "../engine/operations";
import { holdPath, openAccess } from "../access/with-access";
import type { Context } from "../context";
import { type OpenedStack, openProjectStack } from "../engine/workspace";
import type { RunContext } from "../runbook/types";
import { storeOf } from "../runbook/command";
import type { TeamStore } from "../team/store";
import { StackFile } from "../stack-file";

export interface ClusterRunContext extends RunContext {
  cli: Context;
  opened: OpenedStack;
  store: TeamStore;
  /** The stack file as it is now (re-read: steps change it). */
  config(): StackConfig;
  stackFile(): StackFile;
  management(): Promise<Kube>;
  workload(): Promise<Kube>;
  /** `prow-ops up --target <layers>`, with the team's temporary load-balancer sources; `components`: see targetUrns. */
  up(layers: LayerName[], o?: { components?: LayerName[] }): Promise<void>;
  /** preview / refresh / up of some layers, with the summary. */
  operate(op: Operation, layers: LayerName[]): Promise<ChangeSummary>;
  /** (Re)opens the path for these layers' clusters (a bootstrap: once the workload cluster exists). */
  openPath(layers: LayerName[]): Promise<void>;
  /** Lets go of the path and the environment (the runbook's close()). */
  release(): Promise<void>;
}

export async function clusterRunContext(cli: Context, base: RunContext, o: { layers?: LayerName[] } = {}): Promise<ClusterRunContext> {
  const opened = await openProjectStack({ projectDir: cli.projectDir, stack: cli.options.stack, backend: cli.options.backend });
  let path = await openAccess(cli, { opened, layers: o.layers });
  let restore = holdPath(path);
  const close = async () => {
    await path?.close();
    restore();
  };
  return {
    ...base,
    cli,
    opened,
    store: await storeOf(cli),
    config: () => StackFile.load(cli.stackFile).config(),
    stackFile: () => StackFile.load(cli.stackFile),
    management: () => clusterKube(cli, "management", opened),
    workload: () => clusterKube(cli, "workload", opened),
    up: (layers, u) => applyLayers(cli, opened, layers, base.signal, u?.components),
    operate: (op, layers) => operateLayers(cli, opened, op, layers, base.signal),
    openPath: async (layers) => {
      await close();
      path = await openAccess(cli, { opened, layers });
      restore = holdPath(path);
    },
    release: close,
  };
}
