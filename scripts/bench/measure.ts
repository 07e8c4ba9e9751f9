/** Timing and memory of whole commands: wall-clock medians and the peak RSS of the process tree's largest process. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Sample {
  seconds: number;
  peakKiB: number;
}

export interface Figures {
  medianSeconds: number;
  peakMiB: number;
  runs: number;
}

const TIME = "/usr/bin/time";

/** Runs argv once under GNU time; throws with stderr when it fails. */
export function sample(argv: string[], opts: { env?: Record<string, string>; cwd?: string; okCodes?: number[] } = {}): Sample {
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing: apt-get install time`);
  const out = join(mkdtempSync(join(tmpdir(), "prow-ops-bench-")), "time");
  const start = process.hrtime.bigint();
  const res = spawnSync(TIME, ["-f", "%M", "-o", out, ...argv], { env: { ...process.env, ...opts.env }, cwd: opts.cwd, encoding: "utf8", maxBuffer: 512 << 20 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (!(opts.okCodes ?? [0]).includes(res.status ?? -1)) throw new Error(`${argv.join(" ")} failed (${res.status}): ${res.stderr.slice(-2000)}`);
  return { seconds, peakKiB: Number(readFileSync(out, "utf8").trim().split("\n").pop()) };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Repeats a measurement (one or several commands per run, summed) and summarizes it. */
export function repeat(runs: number, once: () => Sample[]): Figures {
  const totals = Array.from({ length: runs }, () => {
    const samples = once();
    return { seconds: samples.reduce((a, s) => a + s.seconds, 0), peakKiB: Math.max(...samples.map((s) => s.peakKiB)) };
  });
  return { medianSeconds: median(totals.map((t) => t.seconds)), peakMiB: Math.max(...totals.map((t) => t.peakKiB)) / 1024, runs };
}

/** One line per comparison: ours, the reference, the ratio, and whether the target holds. */
export function report(title: string, ours: Figures, reference: Figures, referenceName: string, maxRatio: number): boolean {
  const ratio = ours.medianSeconds / reference.medianSeconds;
  const ok = ratio <= maxRatio;
  const verdict = ok ? "target met" : `TARGET MISSED by ${((ratio / maxRatio - 1) * 100).toFixed(0)}% (${(ours.medianSeconds - reference.medianSeconds * maxRatio).toFixed(3)} s too slow)`;
  console.log(`\n${title}`);
  console.log(`  prow-ops      median ${ours.medianSeconds.toFixed(3)} s  peak ${ours.peakMiB.toFixed(0)} MiB  (${ours.runs} runs)`);
  console.log(`  ${referenceName.padEnd(13)} median ${reference.medianSeconds.toFixed(3)} s  peak ${reference.peakMiB.toFixed(0)} MiB  (${reference.runs} runs)`);
  console.log(`  ratio ${ratio.toFixed(2)} (target <= ${maxRatio}): ${verdict}`);
  return ok;
}

/**
 * Where the memory goes: runs argv and samples every process of its tree (ps, every 100 ms),
 * keeping the peak RSS and the CPU seconds per command name — the CLI and the program (node),
 * the engine (pulumi), each provider plugin.
 */
export async function profileTree(
  argv: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ seconds: number; peakMiBByCommand: Record<string, number>; cpuSecondsByCommand: Record<string, number>; code: number | null }> {
  const { spawn, execFileSync } = await import("node:child_process");
  const start = process.hrtime.bigint();
  const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: "ignore" });
  const peaks: Record<string, number> = {};
  const cpuTicks = new Map<number, { comm: string; ticks: number }>();
  const sampleOnce = () => {
    let table: string;
    try {
      table = execFileSync("ps", ["-e", "-o", "pid=,ppid=,rss=,comm="], { encoding: "utf8" });
    } catch {
      return;
    }
    const rows = table
      .trim()
      .split("\n")
      .map((l) => l.trim().split(/\s+/))
      .map(([pid, ppid, rss, ...comm]) => ({ pid: Number(pid), ppid: Number(ppid), rss: Number(rss), comm: comm.join(" ") }));
    const tree = new Set([child.pid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const r of rows) if (tree.has(r.ppid) && !tree.has(r.pid)) {
        tree.add(r.pid);
        grew = true;
      }
    }
    for (const r of rows) {
      if (!tree.has(r.pid)) continue;
      peaks[r.comm] = Math.max(peaks[r.comm] ?? 0, r.rss / 1024);
      // CPU seconds so far (utime + stime, in clock ticks): the last sample of each process counts.
      try {
        const fields = readFileSync(`/proc/${r.pid}/stat`, "utf8").split(") ")[1].split(" ");
        cpuTicks.set(r.pid, { comm: r.comm, ticks: Number(fields[11]) + Number(fields[12]) });
      } catch {
        // gone between ps and now
      }
    }
  };
  const timer = setInterval(sampleOnce, 100);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearInterval(timer);
  const cpuSecondsByCommand: Record<string, number> = {};
  for (const { comm, ticks } of cpuTicks.values()) cpuSecondsByCommand[comm] = (cpuSecondsByCommand[comm] ?? 0) + ticks / 100;
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, peakMiBByCommand: peaks, cpuSecondsByCommand, code };
}
