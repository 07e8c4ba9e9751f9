/**
 * The render's YAML cache: what it returns is always what js-yaml writes for the documents
 * given, cached or not, and a change in any document is a new entry.
 */
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cachedYaml, toYaml } from "../../../cli/lib/render";

const docs = [
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a" }, data: { "config.yaml": "x: 1\ny: [2]\n", on: "yes" } },
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "prow" } },
];

describe("the render's YAML cache", () => {
  test("GIVEN the same documents twice THEN both renders equal js-yaml's dump, the second read from one cache entry", () => {
    const dir = mkdtempSync(join(tmpdir(), "prow-ops-yaml-"));
    expect(cachedYaml(docs, dir)).toBe(toYaml(docs));
    expect(readdirSync(dir)).toHaveLength(1);
    expect(cachedYaml(structuredClone(docs), dir)).toBe(toYaml(docs));
    expect(readdirSync(dir)).toHaveLength(1);
  });

  test("GIVEN one value changed THEN a new entry with the new text, never the old one", () => {
    const dir = mkdtempSync(join(tmpdir(), "prow-ops-yaml-"));
    cachedYaml(docs, dir);
    const changed = structuredClone(docs);
    changed[1].metadata.name = "test-pods";
    expect(cachedYaml(changed, dir)).toBe(toYaml(changed));
    expect(cachedYaml(changed, dir)).toContain("name: test-pods");
    expect(readdirSync(dir)).toHaveLength(2);
  });

  test("GIVEN a cache folder that cannot be made (a file is in the way) THEN the render still returns the dump", () => {
    const file = join(mkdtempSync(join(tmpdir(), "prow-ops-yaml-")), "not-a-dir");
    writeFileSync(file, "");
    expect(cachedYaml(docs, join(file, "yaml"))).toBe(toYaml(docs));
  });
});
