/**
 * Holding Prow for a roll, on an API double that keeps server-side apply's field ownership for
 * what the hold writes (replicas, one annotation): a hold killed right after its scale-down —
 * before the run's journal learnt the counts — and resumed must still give Prow back its replicas.
 */
import { HELD_DEPLOYMENTS, holdProw, prowHeld, prowReleased, releaseProw } from "../../../cli/lib/lifecycle/prow-jobs";
import type { Kube, KubeObject } from "../../../stacks/core/kube-client";

type Deployment = { metadata: { name: string; namespace: string; annotations?: Record<string, string> }; spec: { replicas: number } };

/** Deployments by path; an apply sets the fields it names and drops the annotations its manager set before and no longer names. */
function apiDouble(replicas: Record<string, number>): { kube: Kube; objects: Map<string, Deployment> } {
  const objects = new Map<string, Deployment>();
  const owned = new Map<string, string[]>();
  for (const [name, n] of Object.entries(replicas)) objects.set(`/apis/apps/v1/namespaces/prow/deployments/${name}`, { metadata: { name, namespace: "prow" }, spec: { replicas: n } });
  const kube = {
    get: async (path: string) => structuredClone(objects.get(path)) as KubeObject | undefined,
    apply: async (path: string, body: KubeObject, manager: string) => {
      const d = objects.get(path) as Deployment;
      const key = `${path}#${manager}`;
      const annotations = { ...(body.metadata.annotations as Record<string, string> | undefined) };
      const kept = Object.fromEntries(Object.entries(d.metadata.annotations ?? {}).filter(([k]) => !(owned.get(key) ?? []).includes(k)));
      d.metadata.annotations = { ...kept, ...annotations };
      owned.set(key, Object.keys(annotations));
      d.spec.replicas = (body.spec as { replicas: number }).replicas;
      return structuredClone(d) as unknown as KubeObject;
    },
  } as unknown as Kube;
  return { kube, objects };
}

describe("holding Prow for a roll", () => {
  test("GIVEN a hold killed after its scale-down WHEN resumed THEN it still knows the replicas to give back, and the release leaves no trace", async () => {
    const { kube, objects } = apiDouble({ "prow-controller-manager": 1, tide: 2 });
    expect(await holdProw(kube, "prow")).toEqual({ "prow-controller-manager": 1, tide: 2 });
    // Killed here: the journal never got those counts; the resumed step holds again.
    const resumed = await holdProw(kube, "prow");
    expect(resumed).toEqual({ "prow-controller-manager": 1, tide: 2 });
    expect(await prowHeld(kube, "prow", resumed)).toBe(true);
    await releaseProw(kube, "prow", resumed);
    expect(await prowReleased(kube, "prow", resumed)).toBe(true);
    expect([...objects.values()].map((d) => [d.metadata.name, d.spec.replicas, d.metadata.annotations])).toEqual(HELD_DEPLOYMENTS.map((n) => [n, n === "tide" ? 2 : 1, {}]));
  });

  test("GIVEN a Prow without tide THEN only the Deployments that exist are held", async () => {
    const { kube } = apiDouble({ "prow-controller-manager": 3 });
    expect(await holdProw(kube, "prow")).toEqual({ "prow-controller-manager": 3 });
  });
});
