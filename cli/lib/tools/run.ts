/**
 * Every external tool runs here: execa with an argv array (never a shell string). Secrets
 * reach a tool by stdin, its environment or a 0600 file in a private temporary folder that
 * is removed afterwards — never its argv. A failure is a ToolError: the command, the exit
 * code and the end of stderr, with every known secret masked.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProwOpsError } from "../../../stacks/core/errors";
import { mask, registerSecret } from "../mask";
import { toolPath, type ToolName } from "./catalog";

export class ToolError extends ProwOpsError {
  constructor(
    readonly tool: string,
    readonly argv: readonly string[],
    readonly exitCode: number | undefined,
    readonly stderrTail: string,
    options?: { cause?: unknown },
  ) {
    super("TOOL", mask(`\`${[tool, ...argv].join(" ")}\` failed${exitCode === undefined ? "" : ` (exit ${exitCode})`}${stderrTail ? `:\n  ${stderrTail.split("\n").join("\n  ")}` : ""}`), options);
  }
}

export interface ToolCall {
  args: readonly string[];
  /** Written to the tool's stdin (a secret goes here or in env). */
  input?: string;
  env?: Record<string, string>;
  /** Values of env that are secrets: registered for masking. */
  secretEnv?: readonly string[];
  cwd?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ToolResult {
  stdout: string;
  stderr: string;
}

const TAIL_LINES = 8;
const tail = (text: string) => text.trim().split("\n").slice(-TAIL_LINES).join("\n");

export async function runTool(tool: ToolName, call: ToolCall): Promise<ToolResult> {
  for (const key of call.secretEnv ?? []) if (call.env?.[key]) registerSecret(call.env[key]);
  if (call.input) registerSecret(call.input.trim());
  const execa = require("execa") as typeof import("execa");
  try {
    const res = await execa(toolPath(tool), [...call.args], {
      // No input: stdin closed, so a tool that reads it ends instead of waiting forever.
      ...(call.input === undefined ? { stdin: "ignore" as const } : { input: call.input }),
      env: call.env,
      cwd: call.cwd,
      timeout: call.timeoutMs,
      signal: call.signal,
      stripFinalNewline: false,
    } as unknown as import("execa").Options);
    return { stdout: res.stdout, stderr: res.stderr };
  } catch (err) {
    const e = err as { exitCode?: number; stderr?: string; timedOut?: boolean; isCanceled?: boolean; code?: string };
    if (e.code === "ENOENT") throw new ToolError(tool, call.args, undefined, `${tool} is not installed or not on PATH (prow-ops preflight says how to install it)`, { cause: err });
    const why = e.timedOut ? `timed out after ${call.timeoutMs} ms` : e.isCanceled ? "cancelled" : tail(e.stderr ?? "");
    throw new ToolError(tool, call.args, e.exitCode, why, { cause: err });
  }
}

/**
 * A secret as a file for tools that only read files (a kubeconfig, an ssh key): 0600 in a
 * 0700 folder of its own, removed when `fn` ends, whatever happens.
 */
export async function withSecretFile<T>(name: string, content: string, fn: (path: string) => Promise<T>): Promise<T> {
  registerSecret(content);
  const dir = mkdtempSync(join(tmpdir(), "prow-ops-secret-"));
  const path = join(dir, name);
  try {
    writeFileSync(path, content, { mode: 0o600 });
    return await fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
