/** Reads the stack config (from Pulumi's runtime or straight from Pulumi.<stack>.yaml) and validates it. */
import { readFileSync } from "node:fs";
import { load } from "js-yaml";
import type { z } from "zod";
import { ConfigError } from "../stacks/core/errors";
import { SECRET_NAMES } from "../stacks/core/secret-text";
import { type StackConfig, stackConfigSchema } from "./schema";

export const PROJECT = "prow-ops";

/** Formats every issue as `path: message` on its own line, e.g. cluster.allowedCIDRs[0]: "10.6.0.0/33" is not a valid CIDR. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>((acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)), "");
      let message = issue.message;
      if (issue.code === "unrecognized_keys") message = `unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; remove or correct them`;
      else if (issue.code === "invalid_type" && (issue as { input?: unknown }).input === undefined) message = `is required (expected ${issue.expected})`;
      return `  ${path ? `${PROJECT}:${path}` : PROJECT}: ${message}`;
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
    throw new ConfigError(`invalid stack configuration in ${source}:\n${formatIssues(result.error)}\nFix the value(s) above (pulumi config set --path '${PROJECT}:<key>' <value>, or edit ${source}) and run again.`);
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

/** Reads Pulumi.<stack>.yaml directly: the offline render uses it without any engine. */
export function readStackFile(path: string): StackConfig {
  let doc: { config?: Record<string, unknown> };
  try {
    doc = (load(readFileSync(path, "utf8")) ?? {}) as typeof doc;
  } catch (err) {
    throw new ConfigError(`cannot read stack file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const raw = projectValues(doc.config ?? {});
  const secrets = SECRET_NAMES.filter((k) => raw[k] !== undefined);
  if (secrets.length) {
    throw new ConfigError(`${path} holds secret(s) in plain text: ${secrets.map((k) => `${PROJECT}:${k}`).join(", ")}. Remove them and set each with \`prow-ops secrets set\` or \`pulumi config set --secret\`.`);
  }
  return parseStackConfig(raw, path);
}

