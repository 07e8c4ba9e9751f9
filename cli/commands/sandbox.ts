/** sandbox up | status | run | down (wiring only). */
import { type Command, Option } from "commander";
import { contextOf } from "../lib/context";
import { examples } from "./help";

export function registerSandbox(program: Command): void {
  const sandbox = program
    .command("sandbox")
    .description("a local cloud to rehearse in (root): two control planes, a real sshd bastion, the API load balancer, CAPO and CAPI simulators, an openstack CLI for its images, and a `sandbox` stack derived from production")
    .addHelpText("after", "\nNo cloud and no Docker: the hosts are network namespaces (addresses from the documentation ranges only); every sandbox command runs as root.\n");
  sandbox
    .command("up")
    .description("start the sandbox and apply the sandbox stack's Kubernetes layers to it (--empty: apply nothing, for bootstrap)")
    .option("--from <stack>", "the stack whose config the sandbox stack is derived from", "prow")
    .option("--crds <dir>", "folder holding capi-v*/ and capo-v*/ with the CAPI and CAPO CRDs (default $PROW_OPS_CRDS)")
    .option("--empty", "apply nothing: the clusters stay empty for `sandbox run -- bootstrap` to build the installation")
    .addHelpText("after", examples(["prow-ops sandbox up --crds ./crds", "prow-ops sandbox up --from prow --crds ./crds", "prow-ops sandbox up --empty --crds ./crds   # then: prow-ops sandbox run -- bootstrap ..."]))
    .action(async (o: { from: string; crds?: string; empty?: boolean }, c: Command) => {
      await (await import("../lib/sandbox/sandbox")).sandboxUp(contextOf(c), o);
    });
  sandbox
    .command("status")
    .description("whether the sandbox is up, its hosts and kubeconfigs")
    .addHelpText("after", examples(["prow-ops sandbox status", "prow-ops --json sandbox status"]))
    .action(async (_o: unknown, c: Command) => {
      (await import("../lib/sandbox/sandbox")).sandboxStatus(contextOf(c));
    });
  sandbox
    .command("run")
    .description("run a prow-ops command on the sandbox's operator host, against the sandbox stack")
    .argument("<args...>", "the prow-ops command and its options (after --)")
    .addHelpText("after", examples(["prow-ops sandbox run -- bastion swap --image ubuntu-2404-new", "prow-ops sandbox run -- --yes up", "prow-ops sandbox run -- status"]))
    .action(async (args: string[], _o: unknown, c: Command) => {
      process.exitCode = await (await import("../lib/sandbox/sandbox")).sandboxRun(contextOf(c), args);
    });
  sandbox
    .command("openstack")
    .description("the local cloud's openstack CLI: image show|create|delete|list, server show (on the PATH of `sandbox run`)")
    .argument("<args...>", "the openstack arguments (after --)")
    .addHelpText("after", examples(["prow-ops sandbox openstack -- image create ubuntu-2204-kube-v1.31.4", "prow-ops sandbox openstack -- image list"]))
    .action(async (args: string[]) => {
      process.exitCode = (await import("../lib/sandbox/sandbox")).sandboxOpenstack(args);
    });
  sandbox
    .command("down")
    .description("stop the sandbox and remove everything it made: hosts, processes, temporary folders, the sandbox stack")
    .addHelpText("after", examples(["prow-ops sandbox down"]))
    .action(async (_o: unknown, c: Command) => {
      await (await import("../lib/sandbox/sandbox")).sandboxDown(contextOf(c));
    });
  sandbox
    .command("serve", { hidden: true })
    .addOption(new Option("--crds <dir>").makeOptionMandatory())
    .addOption(new Option("--from <stack-file>").makeOptionMandatory())
    .option("--empty")
    .action(async (o: { crds: string; from: string; empty?: boolean }) => {
      await (await import("../lib/sandbox/sandbox")).serve(o);
    });
}
