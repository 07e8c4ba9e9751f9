/** Reads the stack config (from Pulumi's runtime or straight from Pulumi.<stack>.yaml) and validates it. */
import { readFileSync } from "node:fs";
import { load } from "js-yaml";
import type { z } from "zod";
import { ConfigError } from "../stacks/core/errors";
import { SECRET_NAMES } from "../stacks/core/secret-text";
import { type StackConfig, stackConfigSchema } from "./schema";

export const PROJECT = "prow-ops";

/** The value at a zod issue's path in the raw config (zod 4 leaves most inputs out of its issues). */
function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let node = raw;
  for (const seg of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[seg];
  }
  return node;
}

const show = (v: unknown) => JSON.stringify(v);
const EXPECTED: Record<string, string> = { number: "a number", int: "an integer", boolean: "true or false", array: "a list", object: "a mapping of keys", string: "a string" };

/** One issue as "<value given> <what is wrong> (expected ...)". */
function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const value = "input" in issue && issue.input !== undefined ? issue.input : valueAt(raw, issue.path);
  // The schema's own messages already name the value and what is expected; zod's defaults do not.
  if (!/^(Invalid|Too (small|big)|Unrecognized)/.test(issue.message)) return issue.message;
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown key(s) ${issue.keys.map(show).join(", ")}; remove or correct them`;
    case "invalid_type":
      if (value === undefined) return `is required (expected ${EXPECTED[issue.expected] ?? issue.expected})`;
      return `${show(value)} is not ${EXPECTED[issue.expected] ?? issue.expected}`;
    case "too_small":
      if (Array.isArray(value)) return `${show(value)} has too few entries (expected at least ${issue.minimum})`;
      if (typeof value === "string") return `${show(value)} is too short (expected at least ${issue.minimum} character(s))`;
      return `${show(value)} is below the minimum (expected ${issue.inclusive ? "at least" : "more than"} ${issue.minimum})`;
    case "too_big":
      return `${show(value)} is above the maximum (expected ${issue.inclusive ? "at most" : "less than"} ${issue.maximum})`;
    case "invalid_value":
      return `${show(value)} is not one of ${issue.values.map(show).join(", ")}`;
    case "invalid_format":
      return `${show(value)} is not a valid ${issue.format === "regex" ? "value" : issue.format}`;
    default:
      return issue.message;
  }
}

/** Formats every issue as `key: message` on its own line, e.g. prow-ops:cluster.allowedCIDRs[0]: "10.6.0.0/33" is not a valid CIDR. */
export function formatIssues(error: z.ZodError, raw?: unknown): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>((acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), "");
      return `  ${path ? `${PROJECT}:${path}` : PROJECT}: ${describeIssue(issue, raw)}`;
    })
    .join("\n");
}

/**
 * Validates the raw config object (keys without the `prow-ops:` prefix). Secrets are not
 * accepted here: they live in secure config values, read with requireSecret.
 */
export function parseStackConfig(raw: Record<string, unknown>, source: string): StackConfig {
  const result = stackConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`invalid stack configuration in ${source}:\n${formatIssues(result.error, raw)}\nFix the value(s) above (prow-ops config set <key> <value>, or edit ${source}) and run again.`);
  }
  return result.data;
}

/** Project-namespaced keys that are plain (non-secret) stack config. */
export function projectValues(entries: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entries)) {
    if (!key.startsWith(`${PROJECT}:`)) continue;
    if (value !== null && typeof value === "object" && "secure" in value) continue;
    out[key.slice(PROJECT.length + 1)] = value;
  }
  return out;
}

/** A secret name among the plain values is a secret written in plain text: refused. */
export function refusePlainSecrets(raw: Record<string, unknown>, path: string): void {
  const secrets = SECRET_NAMES.filter((k) => raw[k] !== undefined);
  if (secrets.length) {
    throw new ConfigError(`${path} holds secret(s) in plain text: ${secrets.map((k) => `${PROJECT}:${k}`).join(", ")}. Remove them and set each with \`prow-ops secrets set\`.`);
  }
}

/** Reads Pulumi.<stack>.yaml directly: the offline render uses it without any engine. */
export function readStackFile(path: string): StackConfig {
  let doc: { config?: Record<string, unknown> };
  try {
    doc = (load(readFileSync(path, "utf8")) ?? {}) as typeof doc;
  } catch (err) {
    throw new ConfigError(`cannot read stack file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const raw = projectValues(doc.config ?? {});
  refusePlainSecrets(raw, path);
  return parseStackConfig(raw, path);
}

