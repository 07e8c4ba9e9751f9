/** The Kubernetes objects a test-bed stack declares, per cluster, as Pulumi sends them. */
import { join } from "node:path";
import { declareAll } from "../../../cli/lib/render";
import { parseStackConfig } from "../../../config/load";
import type { DeclaredKube } from "../../../stacks/core/declared";
import { mapSecretTexts, type SecretName, type SecretText } from "../../../stacks/core/secret-text";
import { MIRROR } from "../../helpers/config";
import { CANARY, type TestBed } from "./testbed";

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
  const config = parseStackConfig(bed.config, "test-bed config");
  const resolve = (t: SecretText) => t.resolve((n: SecretName) => (CANARY as Record<string, string>)[n]);
  const declared = await declareAll(config, { mirror: MIRROR, cacheDir: join(bed.stateDir, "manifests") });
  return declared
    .filter((l) => layers.includes(l.spec.name))
    .flatMap((l) =>
      l.declared
        .filter((d): d is DeclaredKube => d.kind === "kubernetes")
        .map((d) => ({ layer: l.spec.name, cluster: l.spec.cluster as BedObject["cluster"], d, manifest: withoutNulls(mapSecretTexts(d.object, resolve)) })),
    );
}
