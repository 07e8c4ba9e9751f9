/**
 * repo enable / disable: a repository added to (or removed from) Prow's config files and, for
 * an org without an org-level webhook, the stack's repo-level webhooks. Files change only after
 * every check passed; each edit is whole lines, so the reviewed diff is exactly the repository.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RefusedError, UsageError } from "../../../stacks/core/errors";
import { writeAtomic } from "../../../stacks/core/paths";
import { prowConfigDir } from "../config-commands";
import type { Context } from "../context";
import { openProjectStack } from "../engine/workspace";
import { StackFile } from "../stack-file";
import { runCheckconfig } from "./checkconfig";
import { checkRepository, type GithubCheck } from "./github-checks";
import { disableRepo, type EnableOptions, enableRepo, MERGE_METHODS, type MergeMethod, type ProwFiles, parseRepoName, type RepoEdit } from "./prow-config";

export interface RepoOptions {
  mergeMethod?: string;
  like?: string;
  dryRun?: boolean;
  githubChecks?: boolean;
}

const STACK_REPOS = ["prow", "repos"];

function readProwFiles(dir: string): ProwFiles {
  return { config: readFileSync(join(dir, "config.yaml"), "utf8"), plugins: readFileSync(join(dir, "plugins.yaml"), "utf8") };
}

function mergeMethod(text: string | undefined): MergeMethod | undefined {
  if (text === undefined) return undefined;
  if (!(MERGE_METHODS as readonly string[]).includes(text)) throw new UsageError(`--merge-method ${JSON.stringify(text)}: expected one of ${MERGE_METHODS.join(", ")}`);
  return text as MergeMethod;
}

/** The bot's token from the stack's secrets, or why there is none. */
async function botToken(ctx: Context, file: StackFile): Promise<{ token?: string; why?: string }> {
  if (!file.secretsSet().includes("githubToken")) return { why: "no githubToken in the stack (prow-ops secrets set githubToken)" };
  try {
    const opened = await openProjectStack({ projectDir: ctx.projectDir, stack: ctx.options.stack, backend: ctx.options.backend });
    return { token: (await opened.stack.getConfig("prow-ops:githubToken")).value };
  } catch (err) {
    return { why: `the stack's githubToken could not be read (${(err as Error).message.split("\n")[0]})` };
  }
}

async function githubChecks(ctx: Context, file: StackFile, repo: string, wanted: boolean | undefined): Promise<GithubCheck[]> {
  if (wanted === false) return [];
  const { token, why } = await botToken(ctx, file);
  const checks = token ? await checkRepository(repo, token) : await checkRepository(repo, undefined).then((c) => c.map((x) => ({ ...x, detail: why ?? x.detail })));
  const failed = checks.filter((c) => c.state === "failed");
  if (failed.length) {
    throw new RefusedError(`${repo} is not ready for Prow; nothing was changed:\n${failed.map((c) => `  ${c.name}: ${c.detail}`).join("\n")}\n(--no-github-checks skips these checks)`);
  }
  return checks;
}

/** The webhook change: a repo-level hook when the repository's org has no org-level one. */
function webhookChange(file: StackFile, repo: string, present: boolean): { change?: string; orgHook: boolean } {
  const c = file.config();
  const org = repo.split("/")[0];
  if (c.prow.orgs.includes(org)) return { orgHook: true };
  const has = c.prow.repos.includes(repo);
  if (has === present) return { orgHook: false };
  return { orgHook: false, change: `${file.path.split("/").pop()} prow-ops:prow.repos: ${present ? "+" : "-"} ${repo} (repository webhook)` };
}

async function apply(ctx: Context, repo: string, opts: RepoOptions, enable: boolean): Promise<void> {
  const dir = prowConfigDir(ctx);
  const file = StackFile.load(ctx.stackFile);
  const before = readProwFiles(dir);
  const edit: RepoEdit = enable ? enableRepo(before, repo, { mergeMethod: mergeMethod(opts.mergeMethod), like: opts.like } satisfies EnableOptions) : disableRepo(before, repo);
  const hook = webhookChange(file, repo, enable);
  const changes = [...edit.changes, ...(hook.change ? [hook.change] : [])];
  if (changes.length === 0) throw new RefusedError(`${repo} is already ${enable ? "enabled" : "disabled"}: nothing to change`);

  const checks = enable ? await githubChecks(ctx, file, repo, opts.githubChecks) : [];
  const findings = await runCheckconfig(dir, edit);
  const stackName = ctx.options.stack;
  const value = { repo, enabled: enable, dryRun: Boolean(opts.dryRun), changes, notes: edit.notes, github: checks, checkconfig: findings.summary, orgWebhook: hook.orgHook };
  if (!opts.dryRun) {
    if (edit.config !== before.config) writeAtomic(join(dir, "config.yaml"), edit.config);
    if (edit.plugins !== before.plugins) writeAtomic(join(dir, "plugins.yaml"), edit.plugins);
    if (hook.change) file.setListMember(STACK_REPOS, repo, enable);
  }
  const hookLine = hook.orgHook
    ? `${repo.split("/")[0]} has an org-level webhook: no repository webhook needed`
    : hook.change
      ? `\`prow-ops --stack ${stackName} preview\` shows the repository webhook webhook-${repo.replace("/", "-")} ${enable ? "to create" : "to delete"}; \`prow-ops --stack ${stackName} up\` applies it with the config ConfigMaps`
      : "";
  const human = [
    `${opts.dryRun ? "would change (dry run, nothing written)" : enable ? `enabled ${repo}` : `disabled ${repo}`}:`,
    ...changes.map((c) => `  ${c}`),
    ...(opts.dryRun ? ["lines:", ...edit.lines.map((l) => `  ${l}`)] : []),
    ...edit.notes.map((n) => `note: ${n}`),
    ...checks.map((c) => `github: ${c.name}: ${c.state}${c.state === "ok" ? "" : ` (${c.detail})`}`),
    `checkconfig: ${findings.summary}`,
    ...(opts.dryRun ? [] : [`review and commit: git diff -- config/config.yaml config/plugins.yaml Pulumi.${stackName}.yaml`, hookLine].filter(Boolean)),
  ].join("\n");
  ctx.reporter.result(value, human);
}

export async function repoEnable(ctx: Context, name: string, opts: RepoOptions): Promise<void> {
  await apply(ctx, parseRepoName(name), { ...opts, like: opts.like === undefined ? undefined : parseRepoName(opts.like) }, true);
}

export async function repoDisable(ctx: Context, name: string, opts: RepoOptions): Promise<void> {
  if (opts.mergeMethod !== undefined || opts.like !== undefined) throw new UsageError("repo disable takes no --merge-method or --like");
  await apply(ctx, parseRepoName(name), opts, false);
}
