/** access, bastion swap (wiring only). */
import type { Command } from "commander";
import { contextOf } from "../lib/context";
import { examples } from "./help";
import { registerRunbook } from "./runbook";

export function registerAccess(program: Command): void {
  program
    .command("access")
    .description("open the path to the clusters through the bastion and hold it until Ctrl-C (every other command opens it by itself when needed)")
    .option("--bastion-ip <ip>", "the bastion's floating IP, when the team's record does not know it yet (first use)")
    .option("--temporary-ip [ip]", "instead: allow this machine's public address (detected, or given) on the API load balancer, verify direct access, remove it at the end")
    .option("--clear-temporary-ips", "remove every temporary address still allowed (after a crash elsewhere)")
    .addHelpText(
      "after",
      `${examples(["prow-ops access", "prow-ops access --bastion-ip 203.0.113.7", "prow-ops access --temporary-ip", "prow-ops access --temporary-ip 198.51.100.23/32"])}
The bastion's host key is pinned for the team on first contact (compare the fingerprints with
the bastion's console log); a different key later is refused, except by \`prow-ops bastion swap\`.
Locked out? See the README, "Access and lock-out".
`,
    )
    .action(async (o: { bastionIp?: string; temporaryIp?: string | boolean; clearTemporaryIps?: boolean }, c: Command) => {
      await (await import("../lib/access/access-command")).accessCommand(contextOf(c), o);
    });

  const bastion = program.command("bastion").description("the cluster's bastion host");
  registerRunbook(bastion, {
    command: "bastion swap",
    description: "replace the bastion (a new image, or the same one like a reboot) without ever losing the path to the API",
    examples: ["prow-ops bastion swap --plan", "prow-ops bastion swap --image ubuntu-2404-2025-06", "prow-ops bastion swap", "prow-ops bastion swap --resume", "prow-ops --stack sandbox bastion swap --image new"],
    options: (cmd) =>
      cmd
        .option("--image <name>", "the new bastion image (default: the current one: a fresh server of the same image)")
        .option("--operator-ip <ip>", "this machine's public address for the temporary /32 (default: detected)"),
    load: async (o, ctx) => (await import("../runbooks/bastion-swap")).bastionSwap(ctx, o as { image?: string; operatorIp?: string }) as never,
  });
}
