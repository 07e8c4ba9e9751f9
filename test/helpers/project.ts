/** A throw-away copy of the project folder (Pulumi.yaml, a stack file, dist/), so commands never touch the real one. */
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROD_STACK_FILE, PROJECT_ROOT } from "./config";

export interface TempProject {
  dir: string;
  stackFile: string;
  env: Record<string, string>;
}

/** `edit` rewrites the production stack file's text (for bad-input cases). */
export function tempProject(stack = "t", edit: (text: string) => string = (t) => t): TempProject {
  const dir = mkdtempSync(join(tmpdir(), "prow-ops-project-"));
  copyFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
  symlinkSync(join(PROJECT_ROOT, "dist"), join(dir, "dist"));
  const stackFile = join(dir, `Pulumi.${stack}.yaml`);
  writeFileSync(stackFile, edit(readFileSync(PROD_STACK_FILE, "utf8")));
  return { dir, stackFile, env: { PROW_OPS_PROJECT_DIR: dir } };
}
