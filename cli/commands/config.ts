/** config validate / get / set / unset (wiring only). */
import type { Command } from "commander";
import { contextOf } from "../lib/context";
import { examples } from "./help";

export function registerConfig(program: Command): void {
  const config = program.command("config").description("read, change and check the stack's plain configuration (Pulumi.<stack>.yaml); comments are kept");
  config
    .command("validate")
    .description("check the whole stack config, and warn when a generated object (the job-config ConfigMap) nears Kubernetes' 1 MiB limit")
    .addHelpText("after", examples(["prow-ops config validate", "prow-ops --stack sandbox --json config validate"]))
    .action(async (_o: unknown, cmd: Command) => {
      (await import("../lib/config-commands")).configValidate(contextOf(cmd));
    });
  config
    .command("get <key>")
    .description("print one value (a dotted path under prow-ops:)")
    .addHelpText("after", examples(["prow-ops config get cluster.kubernetesVersion", "prow-ops config get cluster.allowedCIDRs[0]"]))
    .action(async (key: string, _o: unknown, cmd: Command) => {
      (await import("../lib/config-commands")).configGet(contextOf(cmd), key);
    });
  config
    .command("set <key> <value>")
    .description("change one plain value; the whole config is validated first and the file is left untouched when invalid (secrets: `secrets set`)")
    .addHelpText("after", examples(["prow-ops config set cluster.workers.autoscaler.max 7", "prow-ops config set cluster.bastion.enabled false"]))
    .action(async (key: string, value: string, _o: unknown, cmd: Command) => {
      (await import("../lib/config-commands")).configSet(contextOf(cmd), key, value);
    });
  config
    .command("unset <key>")
    .description("remove one plain value (optional keys only; the result is validated)")
    .addHelpText("after", examples(["prow-ops config unset openstack.operatorCloud"]))
    .action(async (key: string, _o: unknown, cmd: Command) => {
      (await import("../lib/config-commands")).configUnset(contextOf(cmd), key);
    });
}
