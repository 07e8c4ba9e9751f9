/** preview, up, refresh, destroy, unlock: the engine's operations on the stack (wiring only). */
import type { Command } from "commander";
import { LAYERS, type LayerName } from "../../config/layer-names";
import { UsageError } from "../../stacks/core/errors";
import { contextOf } from "../lib/context";
import { examples } from "./help";

interface EngineCommandOptions {
  target?: string[];
  mirror?: string;
  expectNoChanges?: boolean;
}

export function parseTargets(values: string[] | undefined, label = "--target"): LayerName[] | undefined {
  if (!values?.length) return undefined;
  const names = values.flatMap((v) => v.split(",")).map((v) => v.trim());
  const unknown = names.filter((n) => !(LAYERS as readonly string[]).includes(n));
  if (unknown.length) throw new UsageError(`${label} ${unknown.map((u) => JSON.stringify(u)).join(", ")}: not a layer (expected one of ${LAYERS.join(", ")})`);
  return names as LayerName[];
}

const engineOptions = (cmd: Command) =>
  cmd
    .option("-t, --target <layer...>", `only these layers and the providers they use (${LAYERS.join(", ")})`)
    .option("--mirror <dir>", "folder holding the pinned upstream manifests (default $PROW_OPS_MIRROR)");

export function registerStackCommands(program: Command): void {
  engineOptions(
    program
      .command("preview")
      .description("show what `up` would change, per layer (no change is made)")
      .option("--expect-no-changes", "exit 4, listing them, if anything would change (for CI drift checks)"),
  )
    .addHelpText("after", examples(["prow-ops preview", "prow-ops preview --target prow", "prow-ops --json preview --expect-no-changes"]))
    .action(async (o: EngineCommandOptions, cmd: Command) => {
      const { previewCommand } = await import("../lib/engine/commands");
      await previewCommand(contextOf(cmd), { ...o, target: parseTargets(o.target) });
    });

  engineOptions(program.command("up").description("preview, confirm, then apply the changes (typed confirmation when something would be deleted or replaced)"))
    .addHelpText("after", examples(["prow-ops up", "prow-ops up --target infra", "prow-ops --yes up"]))
    .action(async (o: EngineCommandOptions, cmd: Command) => {
      const { upCommand } = await import("../lib/engine/commands");
      await upCommand(contextOf(cmd), { ...o, target: parseTargets(o.target) });
    });

  engineOptions(program.command("refresh").description("read every resource back from the clouds and clusters into the state"))
    .option("--expect-no-changes", "exit 4 if the state had drifted from what the clusters hold")
    .addHelpText("after", examples(["prow-ops refresh", "prow-ops refresh --target cluster"]))
    .action(async (o: EngineCommandOptions, cmd: Command) => {
      const { refreshCommand } = await import("../lib/engine/commands");
      await refreshCommand(contextOf(cmd), { ...o, target: parseTargets(o.target) });
    });

  engineOptions(program.command("destroy").description("delete every resource of the stack (or of --target layers); asks for the cluster name to be typed"))
    .addHelpText("after", examples(["prow-ops --stack sandbox destroy", "prow-ops destroy --target github"]))
    .action(async (o: EngineCommandOptions, cmd: Command) => {
      const { destroyCommand } = await import("../lib/engine/commands");
      await destroyCommand(contextOf(cmd), { ...o, target: parseTargets(o.target) });
    });

  program
    .command("unlock")
    .description("break the locks a crashed run left behind: the team lock beside the state and Pulumi's state lock (only when no other run is going on)")
    .addHelpText("after", examples(["prow-ops unlock --stack prow"]))
    .action(async (_o: unknown, cmd: Command) => {
      const { unlockCommand } = await import("../lib/engine/commands");
      await unlockCommand(contextOf(cmd));
    });
}
