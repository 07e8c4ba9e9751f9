/**
 * Validates custom resources against their CRD's `openAPIV3Schema`, as the API server does
 * for the parts a JSON-schema validator can check (types, enums, patterns, required fields,
 * bounds, and unknown fields, which a structural schema prunes or rejects).
 *
 * The OpenAPI v3 subset Kubernetes uses is converted to JSON Schema for ajv:
 * - `x-kubernetes-int-or-string` → integer or string;
 * - `x-kubernetes-preserve-unknown-fields` → anything extra allowed at that level;
 * - `x-kubernetes-embedded-resource` → apiVersion/kind/metadata allowed;
 * - `nullable: true` → null allowed;
 * - `format`: int32, int64 and date-time are checked, other formats are ignored;
 * - `additionalProperties: false` wherever `properties` is given (and unknown fields are not
 *   preserved), so an unknown field is an error instead of being silently pruned;
 * - other `x-kubernetes-*` extensions (list types, CEL rules) are dropped.
 * The object's own `metadata` is checked against standard ObjectMeta fields, and a null value
 * of a non-nullable field is dropped before validation, as the API server prunes it.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import type { RegExpEngine } from "ajv/dist/types";
import type { KubeObject } from "../../stacks/core/declared";
import { parseManifests } from "../../stacks/core/yaml";

type Schema = Record<string, unknown>;

export interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: Schema };
}

export interface Crd {
  /** Where it comes from (a file, or a layer's declaration). */
  source: string;
  group: string;
  kind: string;
  scope: "Namespaced" | "Cluster";
  versions: CrdVersion[];
}

export const groupOf = (apiVersion: string): string => (apiVersion.includes("/") ? apiVersion.split("/")[0] : "");
export const versionOf = (apiVersion: string): string => apiVersion.split("/").pop() as string;

/** The CRD a CustomResourceDefinition object defines. */
export function crdOf(o: KubeObject, source: string): Crd {
  const spec = o.spec as { group: string; scope: Crd["scope"]; names: { kind: string }; versions: CrdVersion[] };
  return { source, group: spec.group, kind: spec.names.kind, scope: spec.scope, versions: spec.versions };
}

/** Every CustomResourceDefinition in the YAML files below `dir`. */
export function readCrds(dir: string): Crd[] {
  const out: Crd[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...readCrds(path));
    else if (/\.ya?ml$/.test(entry)) {
      for (const o of parseManifests(readFileSync(path, "utf8"), path)) if (o.kind === "CustomResourceDefinition") out.push(crdOf(o, path));
    }
  }
  return out;
}

const stringMap = { type: "object", additionalProperties: { type: "string" } };

/** Standard ObjectMeta fields a manifest may set. */
export const OBJECT_META: Schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    name: { type: "string" },
    generateName: { type: "string" },
    namespace: { type: "string" },
    labels: stringMap,
    annotations: stringMap,
    finalizers: { type: "array", items: { type: "string" } },
    ownerReferences: { type: "array", items: { type: "object" } },
    uid: { type: "string" },
    resourceVersion: { type: "string" },
    generation: { type: "integer" },
    creationTimestamp: { type: ["string", "null"] },
    deletionTimestamp: { type: "string" },
    deletionGracePeriodSeconds: { type: "integer" },
    managedFields: { type: "array" },
  },
};

const KNOWN_FORMATS = new Set(["int32", "int64", "date-time"]);

/** Converts one (sub)schema of a CRD's openAPIV3Schema into JSON Schema. */
export function toJsonSchema(s: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(s)) {
    if (key.startsWith("x-kubernetes-") || key === "nullable") continue;
    if (key === "format" && !KNOWN_FORMATS.has(value as string)) continue;
    if (key === "properties") out.properties = Object.fromEntries(Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, toJsonSchema(v)]));
    else if (key === "items" || key === "not") out[key] = toJsonSchema(value as Schema);
    else if (key === "additionalProperties" && typeof value === "object" && value !== null) out[key] = toJsonSchema(value as Schema);
    else if (key === "allOf" || key === "anyOf" || key === "oneOf") out[key] = (value as Schema[]).map(toJsonSchema);
    else out[key] = value;
  }
  const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
  if (s["x-kubernetes-embedded-resource"] === true) {
    out.properties = { apiVersion: { type: "string" }, kind: { type: "string" }, metadata: { type: "object" }, ...((out.properties as Schema) ?? {}) };
  }
  if (s["x-kubernetes-int-or-string"] === true) {
    delete out.type;
    if (!out.anyOf) out.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  if (out.properties && !preserve && out.additionalProperties === undefined) out.additionalProperties = false;
  if (s.nullable === true) {
    if (typeof out.type === "string") out.type = [out.type, "null"];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    if (out.anyOf) out.anyOf = [...(out.anyOf as Schema[]), { type: "null" }];
  }
  return out;
}

/** The JSON Schema for a whole custom resource of one CRD version. */
export function resourceSchema(openAPIV3Schema: Schema): Schema {
  const root = toJsonSchema(openAPIV3Schema);
  const properties = { ...((root.properties as Schema) ?? {}), apiVersion: { type: "string" }, kind: { type: "string" }, metadata: OBJECT_META };
  return { ...root, type: "object", properties, additionalProperties: openAPIV3Schema["x-kubernetes-preserve-unknown-fields"] === true };
}

/**
 * Drops null values of fields whose schema is not nullable, as the API server does before
 * validating ("null values for fields that either don't specify the nullable flag, or give it
 * a false value, will be pruned", Kubernetes CRD docs, Defaulting and Nullable).
 */
export function pruneNulls(value: unknown, s: Schema | undefined): unknown {
  if (!s || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => pruneNulls(v, s.items as Schema | undefined));
  const props = (s.properties as Record<string, Schema>) ?? {};
  const additional = typeof s.additionalProperties === "object" ? (s.additionalProperties as Schema) : undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const sub = props[k] ?? additional;
    if (v === null && sub && sub.nullable !== true) continue;
    out[k] = pruneNulls(v, sub);
  }
  return out;
}

/**
 * Kubernetes checks `pattern` with Go's RE2 syntax; JavaScript lacks its inline flags (e.g.
 * `(?i)`), which are turned into RegExp flags here when they lead the pattern. A pattern JavaScript still cannot
 * read is an error naming it.
 */
export const goRegExp: RegExpEngine = Object.assign(
  (pattern: string, u: string) => {
    // Flags at the very start, or right after the leading `^` (which no flag affects), apply to the whole pattern.
    const inline = pattern.match(/^(\^?)\(\?([ims]+)\)/);
    const flags = new Set(u.split(""));
    let source = pattern;
    if (inline) {
      for (const f of inline[2]) flags.add(f);
      source = inline[1] + pattern.slice(inline[0].length);
    }
    try {
      return new RegExp(source, [...flags].join(""));
    } catch (err) {
      throw new Error(`CRD pattern ${JSON.stringify(pattern)} is not readable as a JavaScript RegExp: ${(err as Error).message}`);
    }
  },
  { code: "goRegExp" },
);

export interface ValidationResult {
  valid: boolean;
  errors: string[];
}

const formatErrors = (errors: ErrorObject[] | null | undefined): string[] =>
  (errors ?? []).map((e) => {
    const extra = e.keyword === "additionalProperties" ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : "";
    return `${e.instancePath || "/"}: ${e.message}${extra}`;
  });

/** Validates custom resources against a set of CRDs; schemas are compiled on first use. */
export class CrdValidator {
  private readonly ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: goRegExp } });
  private readonly compiled = new Map<string, ValidateFunction>();
  readonly groups: Set<string>;

  constructor(readonly crds: Crd[]) {
    this.groups = new Set(crds.map((c) => c.group));
    const inRange = (min: number, max: number) => (n: number) => Number.isInteger(n) && n >= min && n <= max;
    this.ajv.addFormat("int32", { type: "number", validate: inRange(-(2 ** 31), 2 ** 31 - 1) });
    this.ajv.addFormat("int64", { type: "number", validate: inRange(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) });
    this.ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/);
  }

  /** Whether the object's API group is one of a CRD's (so it must be validated). */
  isCustomResource(o: KubeObject): boolean {
    return this.groups.has(groupOf(o.apiVersion));
  }

  /** The CRDs (from every source) that define the object's group and kind. */
  crdsFor(o: KubeObject): Crd[] {
    return this.crds.filter((c) => c.group === groupOf(o.apiVersion) && c.kind === o.kind);
  }

  /** Validates against every CRD source that defines the object's kind; each must serve its version with a schema. */
  validate(o: KubeObject): ValidationResult {
    const crds = this.crdsFor(o);
    if (!crds.length) return { valid: false, errors: [`no CRD defines ${o.kind} in group ${groupOf(o.apiVersion)}`] };
    const errors: string[] = [];
    for (const crd of crds) {
      const version = crd.versions.find((v) => v.name === versionOf(o.apiVersion));
      const schema = version?.schema?.openAPIV3Schema;
      if (!version?.served || !schema) {
        errors.push(`${crd.source}: version ${versionOf(o.apiVersion)} of ${crd.kind} is not served with a schema`);
        continue;
      }
      const id = `${crd.source}#${crd.group}/${crd.kind}/${version.name}`;
      let fn = this.compiled.get(id);
      if (!fn) {
        fn = this.ajv.compile(resourceSchema(schema));
        this.compiled.set(id, fn);
      }
      if (!fn(pruneNulls(o, schema))) errors.push(...formatErrors(fn.errors).map((e) => `${crd.source}: ${e}`));
    }
    return { valid: errors.length === 0, errors };
  }
}
