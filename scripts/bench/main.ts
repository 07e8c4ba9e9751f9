/**
 * npm run bench: prints, each next to a reference measured in the same run, the medians of
 * several runs and the peak memory of: `prow-ops --help` vs `kubectl --help`; the offline
 * render of all layers vs `kubectl kustomize` of the reference trees; the real preview of the
 * whole stack against local API servers vs `kubectl diff --server-side` of the same objects.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MIRROR, PROJECT_ROOT } from "../../test/helpers/config";
import { KUSTOMIZATIONS, kubectlPath, prepareReferenceTree } from "../../test/helpers/reference";
import { type Figures, repeat, report, sample } from "./measure";
import { benchPreview } from "./preview";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const cli = [process.execPath, join(PROJECT_ROOT, "bin/prow-ops.js")];

function startup(): boolean {
  const ours = repeat(RUNS, () => [sample([...cli, "--help"])]);
  const kubectl = repeat(RUNS, () => [sample([kubectlPath(), "--help"])]);
  return report("start-up: `prow-ops --help` vs `kubectl --help`", ours, kubectl, "kubectl", 2.5);
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
    return report("render of all layers vs `kubectl kustomize` of the five reference trees", ours, kustomize, "kustomize", 1);
  } finally {
    for (const d of [cache, out, tree]) rmSync(d, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const results = [startup(), render()];
  if (process.env.BENCH_SKIP_PREVIEW !== "1") {
    const { ours, diff }: { ours: Figures; diff: Figures } = await benchPreview(Math.min(RUNS, 3));
    results.push(report("preview of the whole stack against local API servers vs `kubectl diff --server-side`", ours, diff, "kubectl diff", 3));
  }
  console.log(`\n${results.filter(Boolean).length}/${results.length} targets met`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
