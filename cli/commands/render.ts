import { resolve } from "node:path";
import type { Command } from "commander";
import { readStackFile } from "../../config/load";
import { fromRoot } from "../../stacks/core/paths";
import { render } from "../lib/render";

export function registerRender(program: Command): void {
  program
    .command("render")
    .description("write every resource each layer declares to DIR/<layer>.yaml, offline (no engine, no cloud, no credentials)")
    .requiredOption("-o, --out <dir>", "output folder")
    .option("--mirror <dir>", "folder holding the pinned upstream manifests (any path; matched by sha256); default $PROW_OPS_MIRROR")
    .option("--config <file>", "stack file to read (default Pulumi.<stack>.yaml in the project)")
    .action(async (opts: { out: string; mirror?: string; config?: string }, cmd: Command) => {
      const stack = cmd.optsWithGlobals().stack as string;
      const config = readStackFile(opts.config ? resolve(opts.config) : fromRoot(`Pulumi.${stack}.yaml`));
      const results = await render(config, resolve(opts.out), { mirror: opts.mirror });
      for (const r of results) process.stderr.write(`${r.layer.padEnd(18)} ${String(r.count).padStart(4)} resources  ${r.file}\n`);
    });
}
