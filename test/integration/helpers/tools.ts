/** The locally built toolchain (npm run testbed:setup) and the environment that uses it. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../helpers/config";

export const TOOLS = join(PROJECT_ROOT, ".tools");
export const TOOLS_BIN = join(TOOLS, "bin");
export const PULUMI_HOME = join(TOOLS, "pulumi-home");

export function tool(name: string): string {
  const path = join(TOOLS_BIN, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run testbed:setup\` first`);
  return path;
}

/** Environment for the Pulumi CLI: project-local plugins only, nothing downloaded. */
export const pulumiEnv = (): Record<string, string> => ({
  PATH: `${TOOLS_BIN}:${process.env.PATH}`,
  PULUMI_HOME,
  PULUMI_SKIP_UPDATE_CHECK: "true",
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
  PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "false",
  // The file backend rewrites the whole state after every step: quadratic for ~400 resources with
  // large CRDs. Throw-away test stacks do not need crash-safe intermediate checkpoints.
  PULUMI_SKIP_CHECKPOINTS: "true",
});
