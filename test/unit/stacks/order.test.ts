import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { declareAll } from "../../../cli/lib/render";
import type { DeclaredKube } from "../../../stacks/core/declared";
import { MIRROR, prodConfig } from "../../helpers/config";

describe("declaration order: one `up`, no 'apply again'", () => {
  let byLayer: Map<string, DeclaredKube[]>;
  beforeAll(async () => {
    const layers = await declareAll(prodConfig(), { mirror: MIRROR, cacheDir: mkdtempSync(join(tmpdir(), "prow-ops-order-")) });
    byLayer = new Map(layers.map((l) => [l.spec.name, l.declared.filter((d): d is DeclaredKube => d.kind === "kubernetes")]));
  });
  const get = (layer: string, name: string) => {
    const d = byLayer.get(layer)?.find((x) => x.name === name);
    if (!d) throw new Error(`${layer} declares no ${name}`);
    return d;
  };

  test("GIVEN the capi layer THEN each provider object waits for its CRD, its namespace, and the operator webhook with its server", () => {
    const core = get("capi", "coreprovider:capi-system:cluster-api");
    expect(core.dependsOn).toEqual(
      expect.arrayContaining([
        "namespace:capi-system",
        "customresourcedefinition:coreproviders.operator.cluster.x-k8s.io",
        "validatingwebhookconfiguration:capi-operator-validating-webhook-configuration",
        "deployment:capi-operator-system:capi-operator-controller-manager",
      ]),
    );
  });

  test("THEN cert-manager objects of the operator wait for the cert-manager webhook and its deployments", () => {
    const issuer = get("capi", "issuer:capi-operator-system:capi-operator-selfsigned-issuer");
    expect(issuer.dependsOn).toEqual(
      expect.arrayContaining(["customresourcedefinition:issuers.cert-manager.io", "validatingwebhookconfiguration:cert-manager-webhook", "deployment:cert-manager:cert-manager-webhook"]),
    );
  });

  test("THEN the webhook servers themselves do not wait for their own webhook (no cycle)", () => {
    const all = [...byLayer.values()].flat();
    const names = new Map(all.map((d) => [d.name, d]));
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (n: string) => {
      if (done.has(n)) return;
      if (visiting.has(n)) throw new Error(`dependency cycle through ${n}`);
      visiting.add(n);
      for (const dep of names.get(n)?.dependsOn ?? []) visit(dep);
      visiting.delete(n);
      done.add(n);
    };
    for (const d of all) visit(d.name);
    expect(done.size).toBe(all.length);
  });

  test("THEN every layer lists each declaration after all of its dependencies, so the program can wire them", () => {
    for (const [layer, declared] of byLayer) {
      const seen = new Set<string>();
      for (const d of declared) {
        for (const dep of d.dependsOn) expect({ layer, d: d.name, dep, declaredBefore: seen.has(dep) }).toEqual({ layer, d: d.name, dep, declaredBefore: true });
        seen.add(d.name);
      }
    }
  });

  test("GIVEN the prow layer THEN the ProwJob CRD comes before the Prow objects, which wait for their namespace", () => {
    expect(get("prow", "customresourcedefinition:prowjobs.prow.k8s.io").dependsOn).toEqual([]);
    expect(get("prow", "deployment:prow:hook").dependsOn).toContain("namespace:prow");
  });

  test("GIVEN the infra layer THEN kube-prometheus custom resources wait for the prometheus-operator CRDs", () => {
    const rule = get("infra", "prometheusrule:monitoring:prow-rules");
    expect(rule.dependsOn).toContain("customresourcedefinition:prometheusrules.monitoring.coreos.com");
  });
});
