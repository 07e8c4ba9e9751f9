/**
 * Offline render: runs every layer's declarations without an engine, a cloud or credentials
 * and writes one YAML file per layer. Secrets appear only as the redaction marker.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump } from "js-yaml";
import type { StackConfig } from "../../config/schema";
import type { Declared } from "../../stacks/core/declared";
import { mapSecretTexts, redact } from "../../stacks/core/secret-text";
import { type FetchOptions, loadUpstream } from "../../stacks/core/upstream";
import { declareLayer, LAYER_SPECS, type LayerSpec, upstreamFor } from "../../stacks/layers";
import { LAYERS, type LayerName } from "../../config/schema";

/** One YAML document: a manifest, or {type, name, inputs} for other providers' resources. */
export function toDocument(d: Declared): unknown {
  if (d.kind === "kubernetes") return mapSecretTexts(d.object, redact);
  return { type: d.type, name: d.name, inputs: mapSecretTexts(d.inputs, redact) };
}

export const toYaml = (docs: unknown[]): string => docs.map((doc) => dump(doc, { noRefs: true, lineWidth: -1, quotingType: '"' })).join("---\n");

export interface RenderResult {
  layer: LayerName;
  file: string;
  count: number;
}

export async function declareAll(config: StackConfig, fetch: FetchOptions, layers: LayerSpec[] = LAYERS.map((l) => LAYER_SPECS[l])) {
  const upstream = await loadUpstream(upstreamFor(layers), fetch);
  return layers.map((spec) => ({ spec, declared: declareLayer(spec, config, upstream) }));
}

/** Everything is declared before the first file is written: a failure leaves no partial output. */
export async function render(config: StackConfig, outDir: string, fetch: FetchOptions = {}): Promise<RenderResult[]> {
  const layers = await declareAll(config, fetch);
  mkdirSync(outDir, { recursive: true });
  return layers.map(({ spec, declared }) => {
    const file = join(outDir, `${spec.name}.yaml`);
    writeFileSync(file, toYaml(declared.map(toDocument)));
    return { layer: spec.name, file, count: declared.length };
  });
}
