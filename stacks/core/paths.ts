import { existsSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
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

/** A folder of prow-ops' cache: under $PROW_OPS_CACHE, else ~/.cache/prow-ops. */
export const cacheDir = (sub: string, env: NodeJS.ProcessEnv = process.env): string => join(env.PROW_OPS_CACHE ? env.PROW_OPS_CACHE : join(homedir(), ".cache", "prow-ops"), sub);

/** Writes through a temporary file and a rename: a concurrent reader never sees half a file. */
export function writeAtomic(path: string, data: Buffer | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
