import { readStackFile } from "../../../config/load";
import { durationMs } from "../../../cli/lib/lifecycle/duration";
import { rollbackTarget } from "../../../cli/lib/lifecycle/history";
import { checkVersionStep, planUpgrade, templateNameFor } from "../../../cli/lib/lifecycle/upgrade-plan";
import { rollout, type ClusterState } from "../../../cli/lib/lifecycle/cluster-state";
import { PROJECT_ROOT } from "../../helpers/config";
import { join } from "node:path";

const prod = () => readStackFile(join(PROJECT_ROOT, "Pulumi.prow.yaml"));

describe("upgrade plan", () => {
  test.each([
    ["v1.30.6", "v1.31.4", undefined],
    ["v1.30.6", "v1.30.9", undefined],
    ["v1.30.6", "v1.30.6", undefined],
    ["v1.30.6", "v1.32.0", /skips a minor version.*v1\.31\.x first/],
    ["v1.30.6", "v1.30.2", /never downgraded/],
    ["v1.30.6", "v2.0.0", /skips a minor/],
  ])("GIVEN %s → %s THEN allowed or refused with the reason", (from, to, refused) => {
    if (refused) expect(() => checkVersionStep(from, to)).toThrow(refused);
    else expect(() => checkVersionStep(from, to)).not.toThrow();
  });

  test("GIVEN a template name with a version THEN the version is replaced, suffix kept, clashes numbered", () => {
    expect(templateNameFor("prow-worker-v1-30-6-est", "v1.31.4", new Set())).toBe("prow-worker-v1-31-4-est");
    expect(templateNameFor("prow-workers", "v1.31.4", new Set())).toBe("prow-workers-v1-31-4");
    expect(templateNameFor("prow-worker-v1-30-6", "v1.31.4", new Set(["prow-worker-v1-31-4"]))).toBe("prow-worker-v1-31-4-2");
  });

  test("GIVEN the production stack WHEN planning v1.31.4 THEN one new template per template in use, flavors kept, the shared worker template once", () => {
    const c = prod();
    const p = planUpgrade(c, "v1.31.4", "ubuntu-2204-kube-v1.31.4");
    expect(p.from).toEqual({ version: "v1.30.6", controlPlane: "prow-control-plane-v1-30-6-est", workers: "prow-worker-v1-30-6-est", infraNodes: "prow-worker-v1-30-6-est" });
    expect(p.to).toEqual({ version: "v1.31.4", controlPlane: "prow-control-plane-v1-31-4-est", workers: "prow-worker-v1-31-4-est", infraNodes: "prow-worker-v1-31-4-est" });
    expect(p.newTemplates).toEqual([
      { name: "prow-control-plane-v1-31-4-est", flavor: "c4m12-est", image: "ubuntu-2204-kube-v1.31.4" },
      { name: "prow-worker-v1-31-4-est", flavor: "c8m24-est", image: "ubuntu-2204-kube-v1.31.4" },
    ]);
  });

  test("GIVEN the same version and image again THEN nothing new (a second run changes nothing)", () => {
    const p = planUpgrade(prod(), "v1.30.6", "ubuntu-2204-kube-v1.30.6");
    expect(p.newTemplates).toEqual([]);
    expect(p.to).toEqual(p.from);
  });

  test("GIVEN history THEN the rollback target is where the last upgrade to the current placement came from", () => {
    const a = { version: "v1.30.6", controlPlane: "cp-a", workers: "w-a", infraNodes: "w-a" };
    const b = { version: "v1.31.4", controlPlane: "cp-b", workers: "w-b", infraNodes: "w-b" };
    expect(rollbackTarget([{ runId: "1", time: "", from: a, to: b }], b)).toEqual(a);
    expect(rollbackTarget([{ runId: "1", time: "", from: a, to: b }], a)).toBeUndefined();
  });

  test("durations as Kubernetes writes them", () => {
    expect(durationMs("10m")).toBe(600_000);
    expect(durationMs("1h30m")).toBe(5_400_000);
    expect(durationMs("15")).toBeUndefined();
    expect(durationMs("abc")).toBeUndefined();
  });

  test("GIVEN a Machine on the old version, template or not Ready THEN the roll is not done, and says which", () => {
    const target = { version: "v1.31.4", controlPlane: "cp-b", workers: "w-b", infraNodes: "w-b" };
    // As Cluster API writes them: the template is recorded on the cloned OpenStackMachine only.
    const machine = (name: string, version: string, template: string | undefined, ready: boolean) => ({
      metadata: { name, labels: { "cluster.x-k8s.io/control-plane-name": "prow-control-plane" } },
      spec: { version, infrastructureRef: { name: `${name}-infra` } },
      status: { phase: "Running", nodeRef: { name } },
      _infra: { metadata: { name: `${name}-infra`, annotations: template ? { "cluster.x-k8s.io/cloned-from-name": template } : {} } },
      _node: { metadata: { name }, status: { nodeInfo: { kubeletVersion: version }, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] } },
    });
    const state = (ms: ReturnType<typeof machine>[]): ClusterState => ({ kcp: { metadata: { name: "prow-control-plane" }, spec: { replicas: 1 } }, mds: [], machines: ms, infraMachines: ms.map((m) => m._infra), nodes: ms.map((m) => m._node) });
    expect(rollout(state([machine("c", "v1.31.4", "cp-a", true)]), target).summary).toMatch(/c \(on template cp-a\)/);
    expect(rollout(state([machine("d", "v1.31.4", undefined, true)]), target).summary).toMatch(/d \(on template unknown\)/);
    expect(rollout(state([machine("a", "v1.30.6", "cp-a", true)]), target)).toEqual({ done: false, summary: "0/1 Machines at v1.31.4 and Ready; waiting for: a (at v1.30.6)" });
    expect(rollout(state([machine("b", "v1.31.4", "cp-b", false)]), target).summary).toMatch(/b \(Node not Ready\)/);
    expect(rollout(state([machine("b", "v1.31.4", "cp-b", true)]), target)).toEqual({ done: true, summary: "1/1 Machines at v1.31.4 and Ready" });
  });
});
