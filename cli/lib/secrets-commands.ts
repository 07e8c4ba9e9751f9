/**
 * secrets list / set / generate. Values come from stdin or a hidden prompt and reach
 * `pulumi config set --secret` through its stdin: never argv, never the screen, never a file.
 */
import { randomBytes } from "node:crypto";
import { PROJECT } from "../../config/load";
import { UsageError } from "../../stacks/core/errors";
import { SECRET_INFO, SECRET_NAMES, type SecretName } from "../../stacks/core/secret-text";
import { setSecret } from "./automation";
import { readSecretInput } from "./confirm";
import type { Context } from "./context";
import { withStack } from "./engine/session";
import { StackFile } from "./stack-file";

export function secretName(name: string): SecretName {
  if (!(SECRET_NAMES as readonly string[]).includes(name)) {
    throw new UsageError(`${JSON.stringify(name)} is not a secret of this stack (expected one of ${SECRET_NAMES.join(", ")})`);
  }
  return name as SecretName;
}

export function secretsList(ctx: Context): void {
  const set = new Set(StackFile.load(ctx.stackFile).secretsSet());
  const rows = SECRET_NAMES.map((name) => ({ name, set: set.has(name), whenUnset: SECRET_INFO[name].whenUnset, what: SECRET_INFO[name].what }));
  const missing = rows.filter((r) => !r.set && r.whenUnset === "required").map((r) => r.name);
  const human = [
    ...rows.map((r) => `  ${r.name.padEnd(38)}${(r.set ? "set" : r.whenUnset === "required" ? "MISSING" : `unset (${r.whenUnset})`).padEnd(32)}${r.what}`),
    missing.length ? `\nset the missing one(s) with: ${missing.map((m) => `prow-ops secrets set ${m}`).join("; ")}` : "",
  ].join("\n");
  ctx.reporter.result({ stack: ctx.options.stack, secrets: rows.map(({ name, set: isSet, whenUnset }) => ({ name, set: isSet, whenUnset })) }, human);
}

async function store(ctx: Context, name: SecretName, value: string): Promise<void> {
  await withStack(ctx, {}, async (opened) => {
    await setSecret(opened.stack, name, value);
  });
}

export async function secretsSet(ctx: Context, rawName: string): Promise<void> {
  const name = secretName(rawName);
  const value = await readSecretInput(name);
  await store(ctx, name, value);
  ctx.reporter.result({ stack: ctx.options.stack, name, set: true }, `${PROJECT}:${name} set (encrypted in ${ctx.stackFile}); \`prow-ops preview\` shows what it changes`);
}

export const GENERATORS: Record<string, { secret: SecretName; make: () => string; what: string }> = {
  hmac: { secret: "hmacToken", make: () => randomBytes(20).toString("hex"), what: "20 random bytes as hex, as `openssl rand -hex 20`" },
};

export async function secretsGenerate(ctx: Context, kind: string): Promise<void> {
  const g = GENERATORS[kind];
  if (!g) throw new UsageError(`cannot generate ${JSON.stringify(kind)} (expected one of ${Object.keys(GENERATORS).join(", ")})`);
  await store(ctx, g.secret, g.make());
  ctx.reporter.result(
    { stack: ctx.options.stack, name: g.secret, generated: true },
    `${PROJECT}:${g.secret} set to a new value (${g.what}); the next \`prow-ops up\` puts it in the hmac-token Secret and every GitHub webhook together`,
  );
}
