/**
 * Offline render: runs every layer's declarations without an engine, a cloud or credentials
 * and writes one YAML file per layer. Secrets appear only as the redaction marker.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump } from "js-yaml";
import type { StackConfig } from "../../config/schema";
import type { Declared } from "../../stacks/core/declared";
import { cacheDir, writeAtomic } from "../../stacks/core/paths";
import { mapSecretTexts, redact, type SecretName } from "../../stacks/core/secret-text";
import { type FetchOptions, loadUpstream } from "../../stacks/core/upstream";
import { declareLayer, LAYER_SPECS, type LayerSpec, upstreamFor } from "../../stacks/layers";
import { LAYERS, type LayerName } from "../../config/schema";

/** One YAML document: a manifest, or {type, name, inputs} for other providers' resources. */
export function toDocument(d: Declared): unknown {
  if (d.kind === "kubernetes") return mapSecretTexts(d.object, redact);
  return { type: d.type, name: d.name, inputs: mapSecretTexts(d.inputs, redact) };
}

const DUMP_OPTIONS = { noRefs: true, lineWidth: -1, quotingType: '"' } as const;

export const toYaml = (docs: unknown[]): string => docs.map((doc) => dump(doc, DUMP_OPTIONS)).join("---\n");

/**
 * The YAML of one file, cached by the sha256 of its documents' JSON: dumping (js-yaml, slow on
 * the large CRD schemas) is most of a render, and most layers are the same from one render to
 * the next. The key includes js-yaml's version and the options, so the text is always what
 * dump() would write.
 */
export function cachedYaml(docs: unknown[], dir = cacheDir("yaml")): string {
  const key = createHash("sha256")
    .update(`${JS_YAML_VERSION} ${JSON.stringify(DUMP_OPTIONS)}\n${JSON.stringify(docs)}`)
    .digest("hex");
  const path = join(dir, `${key}.yaml`);
  try {
    return readFileSync(path, "utf8");
  } catch {
    const text = toYaml(docs);
    try {
      mkdirSync(dir, { recursive: true });
      writeAtomic(path, text);
    } catch {
      // Unwritable cache: the next render dumps again.
    }
    return text;
  }
}

const JS_YAML_VERSION = (require("js-yaml/package.json") as { version: string }).version;

export interface RenderResult {
  layer: LayerName;
  file: string;
  count: number;
}

export async function declareAll(config: StackConfig, fetch: FetchOptions, layers: LayerSpec[] = LAYERS.map((l) => LAYER_SPECS[l]), overridden: ReadonlySet<SecretName> = new Set()) {
  const upstream = await loadUpstream(upstreamFor(layers), fetch);
  return layers.map((spec) => ({ spec, declared: declareLayer(spec, config, upstream, overridden) }));
}

/** Everything is declared before the first file is written: a failure leaves no partial output. */
export async function render(config: StackConfig, outDir: string, fetch: FetchOptions = {}, overridden: ReadonlySet<SecretName> = new Set()): Promise<RenderResult[]> {
  const layers = await declareAll(config, fetch, undefined, overridden);
  const texts = layers.map(({ declared }) => cachedYaml(declared.map(toDocument)));
  mkdirSync(outDir, { recursive: true });
  return layers.map(({ spec, declared }, i) => {
    const file = join(outDir, `${spec.name}.yaml`);
    writeFileSync(file, texts[i]);
    return { layer: spec.name, file, count: declared.length };
  });
}
