/** One `preview` of the bench stack (argv[2]: the test bed's state folder), as its own process. */
import { join } from "node:path";
import { openStack } from "../../cli/lib/automation";
import { MIRROR } from "../../test/helpers/config";
import { pulumiEnv, TOOLS } from "../../test/integration/helpers/tools";

async function main(stateDir: string): Promise<void> {
  const stack = await openStack({
    stackName: "bench",
    backendUrl: `file://${stateDir}`,
    workDir: join(stateDir, "workspace"),
    pulumiRoot: TOOLS,
    env: { ...pulumiEnv(), PULUMI_CONFIG_PASSPHRASE: "integration-test-passphrase" },
    fetch: { mirror: MIRROR, cacheDir: join(stateDir, "manifests") },
  });
  await stack.preview({ onOutput: () => undefined });
}

main(process.argv[2]).catch((err) => {
  console.error(err);
  process.exit(1);
});
