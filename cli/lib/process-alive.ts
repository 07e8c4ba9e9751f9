import { readFileSync } from "node:fs";

/**
 * Whether a process of this machine with that pid is still there (signal 0 reaches it) and
 * is not a zombie: a killed process whose parent died too stays a zombie until init reaps it,
 * and where pid 1 reaps nothing (a container) that is for ever.
 */
export function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}
