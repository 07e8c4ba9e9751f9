/**
 * npm run bench: prints, each next to a reference measured in the same run, the medians of
 * several runs and the peak memory of: `prow-ops --help` vs `kubectl --help`; the offline
 * render of all layers vs `kubectl kustomize` of the reference trees; the real preview of the
 * whole stack against local API servers vs `kubectl diff --server-side` of the same objects.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIRROR, PROJECT_ROOT } from "../../test/helpers/config";
import { KUSTOMIZATIONS, kubectlPath, prepareReferenceTree } from "../../test/helpers/reference";
import { type Figures, repeat, report, sample } from "./measure";
import { benchPreview } from "./preview";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
/** What the README tells users to type: `prow-ops` on PATH (scripts/setup.sh links it); else the entry script. */
const onPath = spawnSync("sh", ["-c", "command -v prow-ops"], { encoding: "utf8" }).stdout.trim();
const cli = onPath ? [onPath] : [process.execPath, join(PROJECT_ROOT, "bin/prow-ops.js")];

function startup(): boolean {
  const ours = repeat(RUNS, () => [sample([...cli, "--help"])]);
  const kubectl = repeat(RUNS, () => [sample([kubectlPath(), "--help"])]);
  return report(`start-up: \`${cli.join(" ")} --help\` vs \`kubectl --help\``, ours, kubectl, "kubectl", 1.5);
}

function render(): boolean {
  const cache = mkdtempSync(join(tmpdir(), "prow-ops-bench-cache-"));
  const out = mkdtempSync(join(tmpdir(), "prow-ops-bench-render-"));
  const tree = mkdtempSync(join(tmpdir(), "prow-ops-bench-reference-"));
  try {
    prepareReferenceTree(tree);
    const env = { PROW_OPS_MIRROR: MIRROR, PROW_OPS_CACHE: cache };
    sample([...cli, "render", "--out", out], { env }); // fills the manifest cache, as any second run finds it
    const ours = repeat(RUNS, () => [sample([...cli, "render", "--out", out], { env })]);
    const kustomize = repeat(RUNS, () => KUSTOMIZATIONS.map((k) => sample([kubectlPath(), "kustomize", join(tree, k)])));
    return report("render of all layers vs `kubectl kustomize` of the five reference trees", ours, kustomize, "kustomize", 0.5);
  } finally {
    for (const d of [cache, out, tree]) rmSync(d, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const results = [startup(), render()];
  if (process.env.BENCH_SKIP_PREVIEW !== "1") {
    const { ours, diff, breakdown, cpu, profiledSeconds } = await benchPreview(Math.min(RUNS, 3), cli);
    results.push(report("preview of the whole stack (`prow-ops preview`) against local API servers vs `kubectl diff --server-side`", ours, diff, "kubectl diff", 2));
    const largest = Math.max(...Object.values(breakdown));
    const memoryOk = largest <= 512;
    console.log(`  where the time and memory go (one preview, ${profiledSeconds.toFixed(1)} s; node = the CLI with the inline program, and the dynamic provider applying CRDs):`);
    for (const [command, mib] of Object.entries(breakdown).sort((a, b) => b[1] - a[1])) console.log(`    ${command.padEnd(28)} peak ${mib.toFixed(0).padStart(4)} MiB   cpu ${(cpu[command] ?? 0).toFixed(1).padStart(5)} s`);
    console.log(`  largest process ${largest.toFixed(0)} MiB (target <= 512 MiB): ${memoryOk ? "target met" : "TARGET MISSED"}`);
    results.push(memoryOk);
  }
  console.log(`\n${results.filter(Boolean).length}/${results.length} targets met`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
