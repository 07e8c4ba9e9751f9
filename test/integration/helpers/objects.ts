/** The Kubernetes objects a test-bed stack declares, per cluster, as Pulumi sends them. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { declareAll } from "../../../cli/lib/render";
import { parseStackConfig } from "../../../config/load";
import type { DeclaredKube } from "../../../stacks/core/declared";
import { mapSecretTexts, type SecretName, type SecretText } from "../../../stacks/core/secret-text";
import { MIRROR } from "../../helpers/config";
import type { ControlPlane } from "../../../cli/lib/sandbox/control-plane";
import { CANARY, type TestBed, testConfig } from "./testbed";

export interface BedObject {
  layer: string;
  cluster: "management" | "workload";
  d: DeclaredKube;
  /** The manifest with the canary secrets filled in and null fields dropped, as Pulumi sends no nulls. */
  manifest: unknown;
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
  return value;
}

export async function bedObjects(bed: TestBed, layers: string[]): Promise<BedObject[]> {
  return objectsOf(bed.config, layers, join(bed.stateDir, "manifests"));
}

/** The same for two clusters started without a TestBed stack (the CLI tests and the bench). */
export async function bedObjectsFor(management: ControlPlane, workload: ControlPlane, layers: string[]): Promise<BedObject[]> {
  return objectsOf(testConfig(management, workload, layers), layers, mkdtempSync(join(tmpdir(), "prow-ops-objects-")));
}

async function objectsOf(raw: Record<string, unknown>, layers: string[], cacheDir: string): Promise<BedObject[]> {
  const config = parseStackConfig(raw, "test-bed config");
  const resolve = (t: SecretText) => t.resolve((n: SecretName) => (CANARY as Record<string, string>)[n]);
  const declared = await declareAll(config, { mirror: MIRROR, cacheDir });
  return declared
    .filter((l) => layers.includes(l.spec.name))
    .flatMap((l) =>
      l.declared
        .filter((d): d is DeclaredKube => d.kind === "kubernetes")
        .map((d) => ({ layer: l.spec.name, cluster: l.spec.cluster as BedObject["cluster"], d, manifest: withoutNulls(mapSecretTexts(d.object, resolve)) })),
    );
}
