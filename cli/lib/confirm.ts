/**
 * Confirmations and secret input. Never a prompt without a terminal: there, --yes is the only
 * way through, and a secret comes from stdin.
 */
import { RefusedError, UsageError } from "../../stacks/core/errors";
import type { Context } from "./context";
import { registerSecret } from "./mask";

const interactive = () => process.stdin.isTTY === true && process.stderr.isTTY === true;

/** Asks for `expected` to be typed (the cluster or stack name) before a change; --yes skips it. */
export async function confirmTyped(ctx: Context, what: string, expected: string): Promise<void> {
  if (ctx.options.yes) return;
  if (!interactive()) throw new RefusedError(`${what}: refused, there is no terminal to confirm on; run again with --yes to confirm in advance. Nothing was changed.`);
  const { input } = require("@inquirer/prompts") as typeof import("@inquirer/prompts");
  const answer = await input({ message: `${what}. Type ${expected} to go on:` }, { output: process.stderr });
  if (answer.trim() !== expected) throw new RefusedError(`confirmation declined (typed ${JSON.stringify(answer.trim())}, expected ${expected}). Nothing was changed.`);
}

/** A secret from stdin (piped) or a hidden prompt; never from argv. */
export async function readSecretInput(name: string, o: { multiline?: boolean } = {}): Promise<string> {
  let value: string;
  if (process.stdin.isTTY) {
    const { password } = require("@inquirer/prompts") as typeof import("@inquirer/prompts");
    value = await password({ message: `${name}:`, mask: false }, { output: process.stderr });
  } else {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    value = Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  }
  if (!value) throw new UsageError(`no value for ${name} was given: pipe it on stdin (e.g. \`prow-ops secrets set ${name} < file\`) or type it at the prompt.`);
  if (value.includes("\n") && !o.multiline) throw new UsageError(`the value for ${name} spans several lines; a secret here is one line (a token, a key).`);
  registerSecret(value);
  return value;
}
