/** secrets list / set / generate (wiring only). */
import type { Command } from "commander";
import { contextOf } from "../lib/context";
import { examples } from "./help";
import { registerRunbook } from "./runbook";

export function registerSecrets(program: Command): void {
  const secrets = program.command("secrets").description("the stack's secrets, encrypted in Pulumi.<stack>.yaml: never shown, never on a command line");
  secrets
    .command("list")
    .description("every secret name and whether it is set (never a value)")
    .addHelpText("after", examples(["prow-ops secrets list", "prow-ops --json secrets list"]))
    .action(async (_o: unknown, cmd: Command) => {
      (await import("../lib/secrets-commands")).secretsList(contextOf(cmd));
    });
  secrets
    .command("set <name>")
    .description("set a secret from stdin, or from a hidden prompt on a terminal (needs PULUMI_CONFIG_PASSPHRASE)")
    .addHelpText("after", examples(["prow-ops secrets set githubToken < ~/metal3-io-bot.token", "prow-ops secrets set jenkinsToken      # hidden prompt"]))
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await (await import("../lib/secrets-commands")).secretsSet(contextOf(cmd), name);
    });
  secrets
    .command("generate <kind>")
    .description("generate a new secret value and set it: hmac (the webhooks' HMAC token)")
    .addHelpText("after", examples(["prow-ops secrets generate hmac"]))
    .action(async (kind: string, _o: unknown, cmd: Command) => {
      await (await import("../lib/secrets-commands")).secretsGenerate(contextOf(cmd), kind);
    });
  registerRunbook(secrets, {
    command: "secrets rotate",
    description: "rotate one secret: a new value everywhere it goes in one up, its readers restarted, the new value proven in use, then the old one revoked",
    argument: { name: "name", description: "the secret (a key pair rotates together)" },
    examples: [
      "prow-ops secrets rotate hmacToken --plan",
      "prow-ops secrets rotate s3AccessKey --dry-run",
      "prow-ops secrets rotate openstackApplicationCredentialSecret",
      "prow-ops secrets rotate githubToken < ~/metal3-io-bot.new-token",
      "prow-ops secrets rotate --resume",
    ],
    options: (cmd) => cmd.option("--timeout <duration>", "how long the restarted workloads may take to roll", "15m"),
    load: async (o, ctx, mode) => (await import("../runbooks/secrets-rotate")).secretsRotate(ctx, o, mode) as never,
  });
}
