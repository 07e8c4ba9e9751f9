/**
 * Every custom resource the project declares is accepted by its CRD's schema: the CRDs of
 * <shared>/crds (CAPI v1.8.5, CAPO v0.11.1, cluster-api-operator v0.14.0, cert-manager v1.16.0,
 * ProwJob) and the CRDs the layers declare themselves (cert-manager v1.16.1 and the operator's in
 * capi, Calico in cluster-resources, prometheus-operator in infra, ProwJob in prow). Where both
 * define a kind, the resource must satisfy both.
 */
import { join } from "node:path";
import type { LayerName } from "../../../config/schema";
import type { KubeObject } from "../../../stacks/core/declared";
import { SHARED } from "../../helpers/config";
import { type Crd, CrdValidator, crdOf, groupOf, readCrds, toJsonSchema } from "../../helpers/crd-schema";
import { buildProject } from "../../helpers/reference";
import Ajv from "ajv";

const keyOf = (o: KubeObject) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

describe("custom resources match their CRD schemas", () => {
  let objects: Record<LayerName, KubeObject[]>;
  let validator: CrdValidator;
  let sharedCrds: Crd[];
  /** Every custom resource the layers declare, validated once (compiling the largest CRD schemas takes a few seconds). */
  let results: Array<{ layer: string; o: KubeObject; errors: string[] }>;

  beforeAll(async () => {
    objects = (await buildProject()).objects;
    sharedCrds = readCrds(join(SHARED, "crds"));
    const declared = Object.entries(objects).flatMap(([layer, os]) => os.filter((o) => o.kind === "CustomResourceDefinition").map((o) => crdOf(o, `layer ${layer}`)));
    validator = new CrdValidator([...sharedCrds, ...declared]);
    results = Object.entries(objects).flatMap(([layer, os]) => os.filter((o) => validator.isCustomResource(o)).map((o) => ({ layer, o, errors: validator.validate(o).errors })));
  }, 60000);

  test("GIVEN the CRD sources WHEN read THEN every pinned CRD family is present", () => {
    const groups = new Set(sharedCrds.map((c) => c.group));
    for (const g of ["cluster.x-k8s.io", "bootstrap.cluster.x-k8s.io", "controlplane.cluster.x-k8s.io", "infrastructure.cluster.x-k8s.io", "operator.cluster.x-k8s.io", "cert-manager.io", "prow.k8s.io"]) {
      expect(groups).toContain(g);
    }
    expect(validator.groups).toContain("monitoring.coreos.com");
  });

  test("GIVEN every layer's declarations WHEN each custom resource is validated against the matching version of its CRD THEN all are valid", () => {
    // CAPI/CAPO objects, the four providers, cert-manager Issuer/Certificate/ClusterIssuer, monitoring objects.
    const kinds = new Set(results.map(({ o }) => `${groupOf(o.apiVersion)}/${o.kind}`));
    for (const k of [
      "cluster.x-k8s.io/Cluster", "cluster.x-k8s.io/MachineDeployment", "infrastructure.cluster.x-k8s.io/OpenStackCluster",
      "infrastructure.cluster.x-k8s.io/OpenStackMachineTemplate", "controlplane.cluster.x-k8s.io/KubeadmControlPlane",
      "bootstrap.cluster.x-k8s.io/KubeadmConfigTemplate", "operator.cluster.x-k8s.io/CoreProvider", "operator.cluster.x-k8s.io/InfrastructureProvider",
      "cert-manager.io/ClusterIssuer", "monitoring.coreos.com/Prometheus", "monitoring.coreos.com/ServiceMonitor", "monitoring.coreos.com/PrometheusRule",
    ]) {
      expect(kinds).toContain(k);
    }
    const invalid = results.flatMap(({ layer, o, errors }) => errors.map((e) => `${layer} ${keyOf(o)}: ${e}`));
    expect(invalid).toEqual([]);
  });

  test("GIVEN the cluster layer WHEN validated THEN each object is checked against the pinned CAPI/CAPO CRD files (not only a declared copy)", () => {
    for (const o of objects.cluster.filter((x) => validator.isCustomResource(x))) {
      expect(validator.crdsFor(o).map((c) => c.source)).toEqual([expect.stringContaining(SHARED)]);
    }
  });

  describe("the validator can fail", () => {
    const openStackCluster = () => structuredClone(objects.cluster.find((o) => o.kind === "OpenStackCluster")) as KubeObject & { spec: Record<string, unknown> };

    test("GIVEN the declared OpenStackCluster WHEN validated as is THEN it is accepted", () => {
      expect(validator.validate(openStackCluster())).toEqual({ valid: true, errors: [] });
    });

    test("GIVEN an OpenStackCluster with an unknown field spec.bogus WHEN validated THEN it is rejected naming the field", () => {
      const o = openStackCluster();
      o.spec.bogus = true;
      const result = validator.validate(o);
      expect(result.valid).toBe(false);
      expect(result.errors.join("\n")).toMatch(/\/spec: must NOT have additional properties \(bogus\)/);
    });

    test("GIVEN an OpenStackCluster with a misspelt nested field WHEN validated THEN it is rejected", () => {
      const o = openStackCluster();
      (o.spec.apiServerLoadBalancer as Record<string, unknown>).allowedCIDR = ["10.6.0.0/24"];
      expect(validator.validate(o).errors.join("\n")).toMatch(/\/spec\/apiServerLoadBalancer: must NOT have additional properties \(allowedCIDR\)/);
    });

    test("GIVEN a KubeadmControlPlane whose replicas is a string WHEN validated THEN it is rejected for the wrong type", () => {
      const o = structuredClone(objects.cluster.find((x) => x.kind === "KubeadmControlPlane")) as KubeObject & { spec: Record<string, unknown> };
      o.spec.replicas = "one";
      expect(validator.validate(o).errors.join("\n")).toMatch(/\/spec\/replicas: must be integer/);
    });

    test("GIVEN a MachineDeployment without its required clusterName WHEN validated THEN it is rejected", () => {
      const o = structuredClone(objects.cluster.find((x) => x.kind === "MachineDeployment")) as KubeObject & { spec: Record<string, unknown> };
      delete o.spec.clusterName;
      expect(validator.validate(o).errors.join("\n")).toMatch(/\/spec: must have required property 'clusterName'/);
    });

    test("GIVEN a misspelt metadata field WHEN validated THEN it is rejected (metadata is checked as standard ObjectMeta)", () => {
      const o = openStackCluster();
      (o.metadata as Record<string, unknown>).lables = { a: "b" };
      expect(validator.validate(o).errors.join("\n")).toMatch(/\/metadata: must NOT have additional properties \(lables\)/);
    });

    test("GIVEN a kind no CRD of its group defines, or a version no CRD serves WHEN validated THEN it is rejected", () => {
      expect(validator.validate({ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Bogus", metadata: { name: "x" } }).errors).toEqual(["no CRD defines Bogus in group cluster.x-k8s.io"]);
      const o = openStackCluster();
      o.apiVersion = "infrastructure.cluster.x-k8s.io/v9";
      expect(validator.validate(o).valid).toBe(false);
    });
  });

  describe("OpenAPI v3 → JSON Schema conversion", () => {
    const compile = (schema: Record<string, unknown>) => {
      const ajv = new Ajv({ strict: false });
      ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
      return ajv.compile(toJsonSchema(schema));
    };

    test("GIVEN x-kubernetes-int-or-string WHEN converted THEN integers and strings pass and other types fail", () => {
      const v = compile({ type: "object", properties: { port: { "x-kubernetes-int-or-string": true } } });
      expect([v({ port: 8080 }), v({ port: "http" }), v({ port: true }), v({ port: 1.5 })]).toEqual([true, true, false, false]);
    });

    test("GIVEN x-kubernetes-preserve-unknown-fields WHEN converted THEN unknown fields pass there, and only there", () => {
      const v = compile({ type: "object", properties: { open: { type: "object", properties: { a: { type: "string" } }, "x-kubernetes-preserve-unknown-fields": true }, closed: { type: "object", properties: { a: { type: "string" } } } } });
      expect([v({ open: { a: "x", b: 1 } }), v({ closed: { a: "x", b: 1 } }), v({ other: 1 })]).toEqual([true, false, false]);
    });

    test("GIVEN nullable WHEN converted THEN null passes only where nullable is true", () => {
      const v = compile({ type: "object", properties: { n: { type: "string", nullable: true }, s: { type: "string" } } });
      expect([v({ n: null }), v({ s: null })]).toEqual([true, false]);
    });

    test("GIVEN format int32 WHEN converted THEN out-of-range numbers fail, and an unknown format is ignored", () => {
      const v = compile({ type: "object", properties: { i: { type: "integer", format: "int32" }, q: { type: "string", format: "quantity-unknown" } } });
      expect([v({ i: 5 }), v({ i: 2 ** 40 }), v({ q: "anything" })]).toEqual([true, false, true]);
    });
  });
});
