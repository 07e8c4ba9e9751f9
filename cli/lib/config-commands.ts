/** config validate / get / set / unset on Pulumi.<stack>.yaml (no engine: plain values only). */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, UsageError } from "../../stacks/core/errors";
import { fromRoot } from "../../stacks/core/paths";
import { configMaps } from "../../stacks/prow/objects";
import type { Context } from "./context";
import { objectSizes, sizeWarning, WARN_AT } from "./object-size";
import { parseKey, parseValue, StackFile } from "./stack-file";

const yamlOf = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));

/** Prow's own config of this project: the generated ConfigMaps are measured from it. */
export const prowConfigDir = (ctx: Context) => (existsSync(join(ctx.projectDir, "config", "config.yaml")) ? join(ctx.projectDir, "config") : fromRoot("config"));

export function configValidate(ctx: Context, configDir = prowConfigDir(ctx)): void {
  const file = StackFile.load(ctx.stackFile);
  file.config();
  const sizes = objectSizes(configMaps(configDir));
  const over = sizes.filter((s) => s.share > 1);
  if (over.length) throw new ConfigError(`${over.map(sizeWarning).join("\n")}\nThe API server refuses objects over 1 MiB: an up would fail.`);
  const warnings = sizes.filter((s) => s.share >= WARN_AT).map(sizeWarning);
  for (const w of warnings) ctx.reporter.warn(w);
  const largest = sizes.slice(0, 4).map((s) => `  ${s.kind} ${s.name}: ${(s.bytes / 1024).toFixed(0)} KiB (${Math.round(s.share * 100)}% of 1 MiB)`);
  ctx.reporter.result(
    { stack: ctx.options.stack, file: ctx.stackFile, valid: true, objects: sizes, warnings },
    [`stack ${ctx.options.stack}: configuration valid (${ctx.stackFile})`, "generated ConfigMaps:", ...largest].join("\n"),
  );
}

export function configGet(ctx: Context, key: string): void {
  const path = parseKey(key);
  const value = StackFile.load(ctx.stackFile).get(path);
  if (value === undefined) throw new UsageError(`${key} is not set in ${ctx.stackFile}`);
  ctx.reporter.result({ key, value }, yamlOf(value));
}

export function configSet(ctx: Context, key: string, text: string): void {
  const path = parseKey(key);
  const file = StackFile.load(ctx.stackFile);
  const before = file.get(path);
  const value = parseValue(text);
  file.set(path, value);
  ctx.reporter.info(`${key}: ${JSON.stringify(before)} -> ${JSON.stringify(value)} in ${ctx.stackFile}; \`prow-ops preview\` shows what it changes`);
  ctx.reporter.result({ key, before: before ?? null, value }, "");
}

export function configUnset(ctx: Context, key: string): void {
  const path = parseKey(key);
  const file = StackFile.load(ctx.stackFile);
  if (file.get(path) === undefined) throw new UsageError(`${key} is not set in ${ctx.stackFile}`);
  file.delete(path);
  ctx.reporter.result({ key, removed: true }, `${key} removed from ${ctx.stackFile}`);
}
