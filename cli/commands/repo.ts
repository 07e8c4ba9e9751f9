/** repo enable / disable (wiring only). */
import type { Command } from "commander";
import { contextOf } from "../lib/context";
import type { RepoOptions } from "../lib/repo/repo-commands";
import { examples } from "./help";

export function registerRepo(program: Command): void {
  const repo = program.command("repo").description("onboard a GitHub repository to Prow (config/config.yaml, config/plugins.yaml, its webhook); every comment kept");
  repo
    .command("enable <org/repo>")
    .description("add the repository to tide, plugins and, for an org without an org-level webhook, the stack's repository webhooks; checks it on GitHub first")
    .option("--merge-method <method>", "tide's merge method for it (merge, rebase or squash); written only where it differs from its org's")
    .option("--like <org/repo>", "copy the plugins, external plugins and list memberships of this enabled repository")
    .option("--dry-run", "show the lines that would be added; write nothing")
    .option("--no-github-checks", "do not ask GitHub whether the repository exists, the bot is admin and OWNERS is present")
    .addHelpText("after", examples(["prow-ops repo enable Nordix/metal3-new-tool --merge-method rebase", "prow-ops repo enable Nordix/metal3-new-tool --like Nordix/metal3-dev-tools --dry-run", "prow-ops repo enable metal3-io/new-operator"]))
    .action(async (name: string, opts: RepoOptions, cmd: Command) => {
      await (await import("../lib/repo/repo-commands")).repoEnable(contextOf(cmd), name, opts);
    });
  repo
    .command("disable <org/repo>")
    .description("the exact inverse of enable: every line of the repository removed from both files, its repository webhook from the stack")
    .option("--dry-run", "show the lines that would be removed; write nothing")
    .addHelpText("after", examples(["prow-ops repo disable Nordix/metal3-new-tool --dry-run", "prow-ops repo disable Nordix/metal3-new-tool"]))
    .action(async (name: string, opts: RepoOptions, cmd: Command) => {
      await (await import("../lib/repo/repo-commands")).repoDisable(contextOf(cmd), name, opts);
    });
}
