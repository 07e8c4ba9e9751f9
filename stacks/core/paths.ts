import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/** The project folder (the one holding Pulumi.yaml), whether running from sources or dist/. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "Pulumi.yaml"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the prow-ops project folder (no Pulumi.yaml above the program)");
    dir = up;
  }
  return dir;
}

export const fromRoot = (...parts: string[]): string => join(projectRoot(), ...parts);
