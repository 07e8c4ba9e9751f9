/** The production stack config, and mutated copies of it for negative tests. */
import { join } from "node:path";
import { load } from "js-yaml";
import { readFileSync } from "node:fs";
import { projectValues } from "../../config/load";
import { projectRoot } from "../../stacks/core/paths";
import type { StackConfig } from "../../config/schema";

/** Found by looking for Pulumi.yaml upwards, so the helpers also work compiled (benchmarks). */
export const PROJECT_ROOT = projectRoot();
export const SHARED = join(PROJECT_ROOT, "..", "shared");
export const MIRROR = join(SHARED, "upstream");
export const PROD_STACK_FILE = join(PROJECT_ROOT, "Pulumi.prow.yaml");

/** The raw (unvalidated) production config values, keys without the project prefix. */
export function rawProdConfig(): Record<string, unknown> {
  const doc = load(readFileSync(PROD_STACK_FILE, "utf8")) as { config: Record<string, unknown> };
  return structuredClone(projectValues(doc.config));
}

export const prodConfig = (): StackConfig => {
  const { parseStackConfig } = require("../../config/load") as typeof import("../../config/load");
  return parseStackConfig(rawProdConfig(), PROD_STACK_FILE);
};
