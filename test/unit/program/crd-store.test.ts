/**
 * The CRD resources' manifest store: what the program writes under a manifest's sha256 is what
 * the provider reads back; a missing or altered file is refused with what to do.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { declaredPart, digestOf, manifestOf } from "../../../stacks/program/crd-provider";
import { objectStore, storeManifest } from "../../../stacks/program/crd-resource";

const crd = { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "prowjobs.prow.k8s.io", labels: { a: "b" } }, spec: { group: "prow.k8s.io" } };

describe("the CRD manifest store", () => {
  test("GIVEN a manifest stored THEN the provider reads the same object back by its sha256", () => {
    const store = mkdtempSync(join(tmpdir(), "prow-ops-objects-"));
    const digest = storeManifest(store, crd);
    expect(digest).toBe(digestOf(crd));
    expect(manifestOf({ store, digest, name: crd.metadata.name })).toEqual(crd);
  });

  test("GIVEN no stored manifest THEN an error names the CRD and the command that writes it", () => {
    const store = mkdtempSync(join(tmpdir(), "prow-ops-objects-"));
    expect(() => manifestOf({ store, digest: digestOf(crd), name: crd.metadata.name })).toThrow(/manifest of CRD prowjobs\.prow\.k8s\.io .* is not in .*: run the program again \(prow-ops preview or up writes it\)/);
  });

  test("GIVEN a stored manifest altered on disk THEN it is refused, not applied", () => {
    const store = mkdtempSync(join(tmpdir(), "prow-ops-objects-"));
    const digest = storeManifest(store, crd);
    writeFileSync(join(store, `${digest}.json`), JSON.stringify({ ...crd, spec: { group: "evil.example" } }));
    expect(() => manifestOf({ store, digest, name: crd.metadata.name })).toThrow("does not match its sha256");
  });

  test("THEN the store sits beside the manifest cache, under PROW_OPS_CACHE when set", () => {
    expect(objectStore({ PROW_OPS_CACHE: "/srv/cache" })).toBe("/srv/cache/objects");
    expect(objectStore({ HOME: "/home/x" })).toMatch(/\.cache\/prow-ops\/objects$/);
  });

  test("THEN what is compared for drift is the spec, labels and annotations — never the server's status", () => {
    const live = { ...crd, metadata: { ...crd.metadata, resourceVersion: "7", annotations: undefined }, status: { storedVersions: ["v1"] } };
    expect(declaredPart(live)).toEqual(declaredPart(crd));
    expect(declaredPart({ ...crd, spec: { group: "other" } })).not.toEqual(declaredPart(crd));
  });
});
