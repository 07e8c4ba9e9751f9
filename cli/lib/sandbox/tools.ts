/** The binaries the sandbox runs: the test bed's builds (npm run testbed:setup), else PATH. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { SetupError } from "../../../stacks/core/errors";
import { projectRoot } from "../../../stacks/core/paths";
import { onPath } from "../engine/pulumi-cli";

export const TOOLS_BIN = join(projectRoot(), ".tools", "bin");

export function sandboxTool(name: string): string {
  const built = join(TOOLS_BIN, name);
  if (existsSync(built)) return built;
  const found = onPath(name);
  if (found) return found;
  throw new SetupError(`${name} is missing: build the local toolchain with \`npm run testbed:setup\` (it builds etcd, kube-apiserver and kubectl into .tools/bin)`);
}
