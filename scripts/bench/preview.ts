/**
 * The real preview against two local API servers (after one `up`), timed as a separate
 * process so its memory is measured too, next to `kubectl diff --server-side` of the same objects.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump } from "js-yaml";
import { tool } from "../../test/integration/helpers/tools";
import { bedObjects } from "../../test/integration/helpers/objects";
import { startTestBed } from "../../test/integration/helpers/testbed";
import { type Figures, repeat, sample } from "./measure";

const LAYERS = ["capi", "cluster", "cluster-resources", "infra", "prow"];

export async function benchPreview(runs: number): Promise<{ ours: Figures; diff: Figures }> {
  const bed = await startTestBed(LAYERS, "bench");
  try {
    await bed.stack.up({ onOutput: () => undefined });
    // No webhook server runs here; each webhook call would wait for its timeout and measure
    // nothing but that. Both sides are measured without them.
    for (const cp of [bed.management, bed.workload]) {
      for (const kind of ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"]) cp.kubectl(["delete", kind, "--all"]);
    }
    const objects = await bedObjects(bed, LAYERS);
    for (const cluster of ["management", "workload"] as const) {
      const docs = objects.filter((o) => o.cluster === cluster).map((o) => dump(o.manifest, { noRefs: true, lineWidth: -1 }));
      writeFileSync(join(bed.stateDir, `${cluster}.yaml`), docs.join("---\n"));
    }
    const previewOnce = [process.execPath, join(__dirname, "preview-once.js"), bed.stateDir];
    const ours = repeat(runs, () => [sample(previewOnce)]);
    const diff = repeat(runs, () =>
      [bed.management, bed.workload].map((cp, i) =>
        sample([tool("kubectl"), `--kubeconfig=${cp.kubeconfigPath}`, "diff", "--server-side", "--force-conflicts", "-f", join(bed.stateDir, `${i === 0 ? "management" : "workload"}.yaml`)], { okCodes: [0, 1] }),
      ),
    );
    return { ours, diff };
  } finally {
    await bed.stop();
  }
}
