/** status, diff, autoscaler, scale (wiring only). */
import { type Command, InvalidArgumentError } from "commander";
import { LAYERS } from "../../config/layer-names";
import { contextOf } from "../lib/context";
import { examples } from "./help";
import { parseTargets } from "./stack";

const count = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number (got ${JSON.stringify(value)})`);
  return Number(value);
};

export function registerClusterCommands(program: Command): void {
  program
    .command("status")
    .description("the cluster at a glance: phase, control plane and MachineDeployment rollout, Machines, Nodes, autoscaler, bastion, Prow, ProwJobs")
    .addHelpText("after", examples(["prow-ops status", "prow-ops --json status"]))
    .action(async (_o: unknown, cmd: Command) => {
      await (await import("../lib/cluster-commands")).statusCommand(contextOf(cmd));
    });

  program
    .command("diff <layer>")
    .description(`per-object diff of one layer against what it would apply (${LAYERS.join(", ")})`)
    .option("--mirror <dir>", "folder holding the pinned upstream manifests (default $PROW_OPS_MIRROR)")
    .addHelpText("after", examples(["prow-ops diff prow", "prow-ops diff cluster"]))
    .action(async (layer: string, o: { mirror?: string }, cmd: Command) => {
      const [target] = parseTargets([layer], "diff") ?? [];
      await (await import("../lib/cluster-commands")).diffCommand(contextOf(cmd), target, o.mirror);
    });

  const autoscaler = program.command("autoscaler").description("hand a MachineDeployment's size to the cluster-autoscaler, or take it back (through the stack)");
  autoscaler
    .command("enable <machinedeployment>")
    .description("the autoscaler owns replicas again (min/max annotations; the stack stops declaring replicas)")
    .option("--min <n>", "lower bound (default: the stack's)", count("--min"))
    .option("--max <n>", "upper bound (default: the stack's)", count("--max"))
    .addHelpText("after", examples(["prow-ops autoscaler enable prow-md-0", "prow-ops autoscaler enable infra-0 --min 1 --max 2"]))
    .action(async (md: string, o: { min?: number; max?: number }, cmd: Command) => {
      await (await import("../lib/cluster-commands")).autoscalerCommand(contextOf(cmd), "enable", md, o);
    });
  autoscaler
    .command("disable <machinedeployment>")
    .description("fixed replicas (the current count, or --replicas) declared by the stack; the annotations removed")
    .option("--replicas <n>", "replicas to keep (default: the MachineDeployment's current count)", count("--replicas"))
    .addHelpText("after", examples(["prow-ops autoscaler disable prow-md-0", "prow-ops autoscaler disable prow-md-0 --replicas 3"]))
    .action(async (md: string, o: { replicas?: number }, cmd: Command) => {
      await (await import("../lib/cluster-commands")).autoscalerCommand(contextOf(cmd), "disable", md, o);
    });

  program
    .command("scale <machinedeployment>")
    .description("set a MachineDeployment's replicas through the stack (refused while the autoscaler owns them)")
    .requiredOption("--replicas <n>", "number of machines", count("--replicas"))
    .addHelpText("after", examples(["prow-ops scale infra-0 --replicas 2"]))
    .action(async (md: string, o: { replicas: number }, cmd: Command) => {
      await (await import("../lib/cluster-commands")).scaleCommand(contextOf(cmd), md, o.replicas);
    });
}
