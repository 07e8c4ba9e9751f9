/**
 * Prow's own config checker, with the arguments of project-infra's check-prow-config presubmit
 * (config/jobs/metal3-io/project-infra.yaml), run on an edit before it is written. A finding
 * the current files already have is reported, not blamed on the edit; a new one refuses it.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import execa from "execa";
import { RefusedError } from "../../../stacks/core/errors";
import type { ProwFiles } from "./prow-config";

/**
 * Findings of `checkconfig --strict` the hand-run configuration already has, each with the reason
 * it is accepted. None: the reference config/ passes --strict (checked by the integration tests).
 */
export const ACCEPTED_FINDINGS: ReadonlyArray<{ finding: RegExp; why: string }> = [];

export const checkconfigBinary = (env: NodeJS.ProcessEnv = process.env): string => env.PROW_OPS_CHECKCONFIG ?? "checkconfig";

/** The presubmit's arguments, for a folder holding config.yaml, plugins.yaml and jobs/. */
export const checkconfigArgs = (dir: string): string[] => ["--config-path", join(dir, "config.yaml"), "--plugin-config", join(dir, "plugins.yaml"), "--job-config-path", join(dir, "jobs"), "--strict"];

/** What --strict adds after the warnings it turned into a failure. */
const STRICT_SUMMARY = "Strict is set and there were warnings";

export interface CheckconfigResult {
  ran: boolean;
  findings: string[];
}

/** Runs checkconfig on a folder; its errors (JSON log lines at error/fatal level) are the findings. */
export async function checkconfig(dir: string, bin = checkconfigBinary()): Promise<CheckconfigResult> {
  let out: execa.ExecaReturnValue;
  try {
    out = await execa(bin, checkconfigArgs(dir), { reject: false, all: true, env: { GOOGLE_APPLICATION_CREDENTIALS: "" } });
  } catch {
    return { ran: false, findings: [] };
  }
  if (out.exitCode === undefined || out.exitCode === 127) return { ran: false, findings: [] }; // not found
  const findings: string[] = [];
  for (const line of (out.all ?? "").split("\n")) {
    let entry: { level?: string; msg?: string; error?: string };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (entry.msg === STRICT_SUMMARY) continue; // the warnings themselves are the findings
    if (entry.level === "warning" || entry.level === "error" || entry.level === "fatal") findings.push(entry.error ?? entry.msg ?? line);
  }
  if (out.exitCode !== 0 && findings.length === 0) findings.push(`checkconfig exited ${out.exitCode}: ${(out.all ?? "").split("\n").slice(-3).join(" ")}`);
  return { ran: true, findings };
}

const accepted = (f: string) => ACCEPTED_FINDINGS.some((a) => a.finding.test(f));

function withFiles(dir: string, files: ProwFiles): string {
  const tmp = mkdtempSync(join(tmpdir(), "prow-ops-checkconfig-"));
  writeFileSync(join(tmp, "config.yaml"), files.config);
  writeFileSync(join(tmp, "plugins.yaml"), files.plugins);
  symlinkSync(join(dir, "jobs"), join(tmp, "jobs"));
  return tmp;
}

/** checkconfig on the edited files: refuses findings the current files do not have. */
export async function runCheckconfig(dir: string, edited: ProwFiles): Promise<{ summary: string; findings: string[] }> {
  const tmp = withFiles(dir, edited);
  try {
    const after = await checkconfig(tmp);
    if (!after.ran) return { summary: `not run (${checkconfigBinary()} not found: \`npm run testbed:setup\` builds it into .tools/bin)`, findings: [] };
    if (after.findings.length === 0) return { summary: "passes (--strict)", findings: [] };
    const before = await checkconfig(dir);
    const fresh = after.findings.filter((f) => !before.findings.includes(f) && !accepted(f));
    if (fresh.length) throw new RefusedError(`checkconfig --strict rejects the result; nothing was changed:\n${fresh.map((f) => `  ${f}`).join("\n")}`);
    return { summary: `${after.findings.length} finding(s), all present before this change`, findings: after.findings };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
