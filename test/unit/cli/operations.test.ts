import { formatSummary, parseUrn, targetUrns } from "../../../cli/lib/engine/operations";

describe("engine operations, pure parts", () => {
  test("GIVEN a resource URN THEN its layer, type and name", () => {
    expect(parseUrn("urn:pulumi:prow::prow-ops::metal3:prow:Prow$kubernetes:apps/v1:Deployment::deployment:prow:deck")).toEqual({ layer: "prow", type: "kubernetes:apps/v1:Deployment", name: "deployment:prow:deck" });
    expect(parseUrn("urn:pulumi:prow::prow-ops::pulumi:providers:kubernetes::workload-cluster")).toEqual({ layer: "providers", type: "pulumi:providers:kubernetes", name: "workload-cluster" });
    expect(parseUrn("urn:pulumi:prow::prow-ops::metal3:prow:Cluster$kubernetes:cluster.x-k8s.io/v1beta1:Cluster::cluster:default:prow").layer).toBe("cluster");
  });

  test("GIVEN --target prow THEN the layer, everything under it and the workload cluster's provider", () => {
    expect(targetUrns("prow", ["prow"])).toEqual([
      "urn:pulumi:prow::prow-ops::metal3:prow:Prow::prow",
      "urn:pulumi:prow::prow-ops::metal3:prow:Prow$**",
      "urn:pulumi:prow::prow-ops::pulumi:providers:kubernetes::workload-cluster",
    ]);
    // The layers depending on a targeted one: their components only (not their resources).
    expect(targetUrns("prow", ["cluster"], ["cluster", "infra", "prow"])).toEqual([
      "urn:pulumi:prow::prow-ops::metal3:prow:Cluster::cluster",
      "urn:pulumi:prow::prow-ops::metal3:prow:Cluster$**",
      "urn:pulumi:prow::prow-ops::pulumi:providers:kubernetes::management-cluster",
      "urn:pulumi:prow::prow-ops::metal3:prow:Infra::infra*",
      "urn:pulumi:prow::prow-ops::metal3:prow:Prow::prow*",
    ]);
    expect(targetUrns("s", ["github"])).toContain("urn:pulumi:s::prow-ops::pulumi:providers:github::**");
  });

  test("GIVEN a preview summary THEN one line per layer in layer order", () => {
    const text = formatSummary({
      operation: "preview",
      stack: "prow",
      result: "succeeded",
      changes: { create: 3, same: 2 },
      layers: { prow: { create: 2 }, capi: { create: 1, same: 2 } },
      changed: [
        { op: "create", urn: "u1", type: "t", name: "a", layer: "prow" },
        { op: "create", urn: "u2", type: "t", name: "b", layer: "prow" },
        { op: "create", urn: "u3", type: "t", name: "c", layer: "capi" },
      ],
      diagnostics: [],
      durationSeconds: 1.25,
    });
    expect(text.split("\n")).toEqual(["preview of stack prow (1.3 s): 3 change(s) to apply", "  layer                create     same", "  capi                      1        2", "  prow                      2        0"]);
  });
});
