/**
 * The real preview against two local API servers (after one `up`), run as users run it —
 * `prow-ops preview` — next to `kubectl diff --server-side` of the same objects; plus one
 * profiled run that says which process holds the memory.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump } from "js-yaml";
import { cliProject } from "../../test/integration/helpers/cli-project";
import { bedObjectsFor } from "../../test/integration/helpers/objects";
import { CANARY, startClusters } from "../../test/integration/helpers/testbed";
import { tool } from "../../test/integration/helpers/tools";
import { type Figures, profileTree, repeat, sample } from "./measure";

const LAYERS = ["capi", "cluster", "cluster-resources", "infra", "prow"];

export interface PreviewBench {
  ours: Figures;
  diff: Figures;
  breakdown: Record<string, number>;
  cpu: Record<string, number>;
  profiledSeconds: number;
}

export async function benchPreview(runs: number, prowOps: string[]): Promise<PreviewBench> {
  const clusters = await startClusters("bench");
  try {
    const p = cliProject(clusters.management, clusters.workload, LAYERS, "bench");
    const env = { ...process.env, ...p.env } as Record<string, string>;
    const cli = (args: string[], input?: string) => spawnSync(prowOps[0], [...prowOps.slice(1), "--stack", "bench", ...args], { env, cwd: p.dir, input, encoding: "utf8" });
    for (const [name, value] of Object.entries(CANARY)) cli(["secrets", "set", name], value);
    const up = cli(["--yes", "up"]);
    if (up.status !== 0) throw new Error(`up failed: ${up.stderr.slice(-2000)}`);
    // No webhook server runs here; each webhook call would wait for its timeout and measure
    // nothing but that. Both sides are measured without them.
    for (const cp of [clusters.management, clusters.workload]) {
      for (const kind of ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"]) cp.kubectl(["delete", kind, "--all"]);
    }
    const objects = await bedObjectsFor(clusters.management, clusters.workload, LAYERS);
    for (const cluster of ["management", "workload"] as const) {
      const docs = objects.filter((o) => o.cluster === cluster).map((o) => dump(o.manifest, { noRefs: true, lineWidth: -1 }));
      writeFileSync(join(p.dir, `${cluster}.yaml`), docs.join("---\n"));
    }
    const preview = [...prowOps, "--stack", "bench", "preview"];
    const ours = repeat(runs, () => [sample(preview, { env: p.env, cwd: p.dir })]);
    const diff = repeat(runs, () =>
      [clusters.management, clusters.workload].map((cp, i) =>
        sample([tool("kubectl"), `--kubeconfig=${cp.kubeconfigPath}`, "diff", "--server-side", "--force-conflicts", "-f", join(p.dir, `${i === 0 ? "management" : "workload"}.yaml`)], { okCodes: [0, 1] }),
      ),
    );
    const profiled = await profileTree(preview, { env: p.env, cwd: p.dir });
    return { ours, diff, breakdown: profiled.peakMiBByCommand, cpu: profiled.cpuSecondsByCommand, profiledSeconds: profiled.seconds };
  } finally {
    await clusters.stop();
  }
}
