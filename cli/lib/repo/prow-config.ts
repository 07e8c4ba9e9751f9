/**
 * A repository in Prow's config/config.yaml and config/plugins.yaml, added or removed the way
 * the maintainers do it by hand (reference README, "Enabling Metal3 prow for new org/repo"):
 * the tide query, merge_method where it differs from the org's, branch protection where the
 * org lists repositories, the plugins entry, and the org's default repository-level settings
 * (what every other repository of the org has) or, with --like, that repository's. Pure: text
 * in, text out, each change described.
 */
import { type Document, isMap, type Pair, type YAMLMap, type YAMLSeq } from "yaml";
import { UsageError } from "../../../stacks/core/errors";
import { findPair, insertedLines, insertPair, insertString, keyOf, mapAt, parseYaml, printYaml, removeEverywhere, stringItems, stringSequences, valueNode } from "./yaml-edit";

export const MERGE_METHODS = ["merge", "rebase", "squash"] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];
/** Prow's merge method when tide.merge_method names neither the repository nor its org. */
const PROW_DEFAULT_MERGE: MergeMethod = "merge";

export interface ProwFiles {
  config: string;
  plugins: string;
}

export interface RepoEdit extends ProwFiles {
  /** One line per change: "config.yaml tide.queries[0].repos: + Nordix/foo". */
  changes: string[];
  /** What the reviewer should know: settings not copied, and why. */
  notes: string[];
  /** The lines added (+) or removed (-), per file, as the guard found them. */
  lines: string[];
}

export interface EnableOptions {
  mergeMethod?: MergeMethod;
  like?: string;
}

const orgOf = (repo: string) => repo.split("/")[0];
const sameOrg = (org: string) => (name: string) => name === org || name.startsWith(`${org}/`);

export function parseRepoName(text: string): string {
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/.test(text) || text.endsWith("/.") || text.endsWith("/..")) {
    throw new UsageError(`${JSON.stringify(text)} is not a GitHub repository (expected ORG/REPO, such as Nordix/metal3-dev-tools)`);
  }
  return text;
}

class ProwDocs {
  readonly config: Document;
  readonly plugins: Document;
  readonly changes: string[] = [];
  readonly notes: string[] = [];

  constructor(readonly files: ProwFiles) {
    this.config = parseYaml(files.config, "config/config.yaml");
    this.plugins = parseYaml(files.plugins, "config/plugins.yaml");
  }

  /** The orgs Prow serves: those with org-level plugins, branch protection or repositories in tide. */
  orgs(): string[] {
    const orgs = new Set<string>();
    for (const p of (mapAt(this.plugins, ["plugins"])?.items ?? []) as Pair[]) orgs.add(orgOf(keyOf(p) ?? ""));
    for (const p of (mapAt(this.config, ["branch-protection", "orgs"])?.items ?? []) as Pair[]) orgs.add(keyOf(p) ?? "");
    for (const q of this.tideQueries()) for (const r of stringItems(q.get("repos", true)) ?? []) orgs.add(orgOf(r));
    orgs.delete("");
    return [...orgs].sort();
  }

  tideQueries() {
    const queries = this.config.getIn(["tide", "queries"], true) as YAMLSeq | undefined;
    return (queries?.items ?? []).filter(isMap);
  }

  /** Where the repository is configured: tide query repos and plugins key. */
  enabledIn(repo: string): string[] {
    const places: string[] = [];
    this.tideQueries().forEach((q, i) => {
      if (stringItems(q.get("repos", true))?.includes(repo)) places.push(`config.yaml tide.queries[${i}].repos`);
    });
    if (findPair(mapAt(this.plugins, ["plugins"]), repo)) places.push("plugins.yaml plugins");
    return places;
  }

  mergeMethodOf(repoOrOrg: string): MergeMethod {
    const map = mapAt(this.config, ["tide", "merge_method"]);
    const own = findPair(map, repoOrOrg)?.value;
    if (own !== undefined) return String((own as { value?: unknown }).value) as MergeMethod;
    return repoOrOrg.includes("/") ? this.mergeMethodOf(orgOf(repoOrOrg)) : PROW_DEFAULT_MERGE;
  }

  docs(): ReadonlyArray<readonly [string, Document]> {
    return [
      ["config.yaml", this.config],
      ["plugins.yaml", this.plugins],
    ];
  }

  result(): Omit<RepoEdit, "lines"> {
    return { config: printYaml(this.config), plugins: printYaml(this.plugins), changes: this.changes, notes: this.notes };
  }
}

function addToTide(d: ProwDocs, repo: string, like: string | undefined): void {
  const org = orgOf(repo);
  const queries = d.tideQueries();
  const repos = (i: number) => stringItems(queries[i].get("repos", true)) ?? [];
  if (queries.length === 0) throw new UsageError("config/config.yaml has no tide.queries: add the first query by hand");
  if (queries.some((q, i) => repos(i).includes(repo) || stringItems(q.get("orgs", true))?.includes(org))) return; // already, or the org's query covers it
  const first = (test: (i: number) => boolean) => queries.findIndex((_q, i) => test(i));
  const candidates = [like ? first((i) => repos(i).includes(like)) : -1, first((i) => repos(i).some(sameOrg(org))), first((i) => queries[i].has("repos"))];
  const i = candidates.find((c) => c >= 0);
  if (i === undefined) throw new UsageError("config/config.yaml has no tide query with repos: add one by hand");
  insertString(d.config, queries[i].get("repos", true) as unknown as YAMLSeq, repo, sameOrg(org));
  d.changes.push(`config.yaml tide.queries[${i}].repos: + ${repo}`);
}

function setMergeMethod(d: ProwDocs, repo: string, method: MergeMethod): void {
  const org = orgOf(repo);
  if (d.mergeMethodOf(repo) === method) return;
  if (findPair(mapAt(d.config, ["tide", "merge_method"]), repo)) {
    d.notes.push(`tide.merge_method already sets ${repo} to ${d.mergeMethodOf(repo)}: left as it is (--merge-method ${method} not applied)`);
    return;
  }
  if (!mapAt(d.config, ["tide", "merge_method"])) d.config.setIn(["tide", "merge_method"], d.config.createNode({}));
  const map = mapAt(d.config, ["tide", "merge_method"]);
  if (!map) throw new UsageError("config/config.yaml tide.merge_method is not a map: fix it by hand");
  insertPair(d.config, map, repo, valueNode(d.config, method), sameOrg(org));
  d.changes.push(`config.yaml tide.merge_method: + ${repo}: ${method} (${org} merges with ${d.mergeMethodOf(org)})`);
}

/** Branch protection that lists repositories by name under their org gets the new one like --like. */
function copyBranchProtection(d: ProwDocs, repo: string, like: string | undefined): void {
  const [org, name] = repo.split("/");
  const repos = mapAt(d.config, ["branch-protection", "orgs", org, "repos"]);
  const model = like && orgOf(like) === org ? findPair(repos, like.split("/")[1]) : undefined;
  if (!repos || !model || findPair(repos, name)) return;
  insertPair(d.config, repos, name, valueNode(d.config, (model.value as { toJSON(): unknown }).toJSON()), () => true);
  d.changes.push(`config.yaml branch-protection.orgs.${org}.repos: + ${name} (as ${like})`);
}

function addPluginsEntry(d: ProwDocs, repo: string, like: string | undefined): void {
  const plugins = mapAt(d.plugins, ["plugins"]);
  if (!plugins) throw new UsageError("config/plugins.yaml has no plugins map: add it by hand");
  const model = like ? findPair(plugins, like) : undefined;
  const value = model?.value && isMap(model.value) ? (model.value.toJSON() as unknown) : null;
  insertPair(d.plugins, plugins, repo, valueNode(d.plugins, value), sameOrg(orgOf(repo)));
  d.changes.push(`plugins.yaml plugins: + ${repo}${value === null ? ` (the ${orgOf(repo)} plugins)` : ` (as ${like})`}`);
}

function copyExternalPlugins(d: ProwDocs, repo: string, like: string | undefined): void {
  const external = mapAt(d.plugins, ["external_plugins"]);
  const model = like ? findPair(external, like) : undefined;
  if (!external || !model || findPair(external, repo)) return;
  insertPair(d.plugins, external, repo, valueNode(d.plugins, (model.value as { toJSON(): unknown }).toJSON()), sameOrg(orgOf(repo)));
  d.changes.push(`plugins.yaml external_plugins: + ${repo} (as ${like})`);
}

/** Every list naming --like (approve, triggers, lgtm, ...) names the new repository too. */
function copyListMemberships(d: ProwDocs, repo: string, like: string): void {
  addToLists(d, repo, (items) => items.includes(like), `as ${like}`);
}

/** Adds the repository to every string list (not tide's, which addToTide handles) that `wanted` picks. */
function addToLists(d: ProwDocs, repo: string, wanted: (items: string[]) => boolean, why: string): void {
  for (const [file, doc] of d.docs()) {
    for (const { path, seq, items } of stringSequences(doc)) {
      if (/^tide\.queries\[\d+\]\.repos$/.test(path) || items.includes(repo) || !wanted(items)) continue;
      insertString(doc, seq, repo, sameOrg(orgOf(repo)));
      d.changes.push(`${file} ${path}: + ${repo} (${why})`);
    }
  }
}

/** The org's enabled repositories other than `repo` (tide's queries). */
function orgRepositories(d: ProwDocs, repo: string): string[] {
  const org = orgOf(repo);
  return [...new Set(d.tideQueries().flatMap((q) => stringItems(q.get("repos", true)) ?? []))].filter((r) => r !== repo && orgOf(r) === org);
}

const externalEntries = (external: YAMLMap | undefined, key: string): Array<{ name?: string }> => (findPair(external, key)?.value as { toJSON(): unknown } | undefined)?.toJSON() as Array<{ name?: string }>;

/**
 * Without --like, a repository gets its org's default: what every other enabled repository of
 * the org has at repository level (external plugins, lists such as approve's repos). Settings
 * only some have are named in a note, not copied.
 */
function copyOrgDefaults(d: ProwDocs, repo: string): void {
  const org = orgOf(repo);
  const others = orgRepositories(d, repo);
  if (others.length === 0) return;
  const external = mapAt(d.plugins, ["external_plugins"]);
  if (external && !findPair(external, org) && !findPair(external, repo)) {
    const lists = others.map((r) => externalEntries(external, r) ?? []);
    const shared = lists[0].filter((e) => lists.every((l) => l.some((x) => x.name === e.name)));
    const partial = [...new Set(lists.flat().map((e) => e.name))].filter((n) => !shared.some((e) => e.name === n));
    if (shared.length) {
      insertPair(d.plugins, external, repo, valueNode(d.plugins, shared), sameOrg(org));
      d.changes.push(`plugins.yaml external_plugins: + ${repo} (${shared.map((e) => e.name).join(", ")}: every other ${org} repository has it)`);
    }
    if (partial.length) d.notes.push(`external plugin(s) ${partial.join(", ")} not added: only some ${org} repositories have them (--like ORG/REPO copies one repository's)`);
  }
  addToLists(d, repo, (items) => !items.includes(org) && others.every((r) => items.includes(r)), `every other ${org} repository is listed`);
}

function notCopied(d: ProwDocs, like: string): void {
  const milestones = findPair(mapAt(d.plugins, ["milestone_applier"]), like);
  if (milestones) d.notes.push(`milestone_applier of ${like} not copied: milestones belong to one repository`);
}

function checkOrg(d: ProwDocs, repo: string): void {
  const orgs = d.orgs();
  if (!orgs.includes(orgOf(repo))) {
    throw new UsageError(`${orgOf(repo)} is not an org this Prow serves (it serves ${orgs.join(", ")}): onboarding a new org means an org entry in config/plugins.yaml and the bot in that org; see the README, "Onboarding a repository"`);
  }
}

export function enableRepo(files: ProwFiles, repo: string, opts: EnableOptions = {}): RepoEdit {
  const d = new ProwDocs(files);
  checkOrg(d, repo);
  const like = opts.like;
  if (like !== undefined) {
    if (like === repo) throw new UsageError("--like names the repository being enabled: name an enabled repository to copy its settings from");
    if (!d.enabledIn(like).length) throw new UsageError(`--like ${like}: that repository is not enabled in config/ (expected one listed in tide.queries, such as ${stringItems(d.tideQueries()[0]?.get("repos", true))?.[0] ?? "ORG/REPO"})`);
  }
  const method = opts.mergeMethod ?? (like ? d.mergeMethodOf(like) : d.mergeMethodOf(orgOf(repo)));
  addToTide(d, repo, like);
  setMergeMethod(d, repo, method);
  copyBranchProtection(d, repo, like);
  if (!findPair(mapAt(d.plugins, ["plugins"]), repo)) addPluginsEntry(d, repo, like);
  copyExternalPlugins(d, repo, like);
  if (like) {
    copyListMemberships(d, repo, like);
    notCopied(d, like);
  } else copyOrgDefaults(d, repo);
  return guarded(d, "insert");
}

export function disableRepo(files: ProwFiles, repo: string): RepoEdit {
  const d = new ProwDocs(files);
  checkOrg(d, repo);
  const [org, name] = repo.split("/");
  const repos = mapAt(d.config, ["branch-protection", "orgs", org, "repos"]);
  if (findPair(repos, name)) {
    repos?.delete(name);
    d.changes.push(`config.yaml branch-protection.orgs.${org}.repos: - ${name}`);
  }
  for (const [file, doc] of d.docs()) {
    for (const path of removeEverywhere(doc, repo)) d.changes.push(`${file} ${path}: - ${repo}`);
  }
  return guarded(d, "remove");
}

export function repoStatus(files: ProwFiles, repo: string): { orgs: string[]; enabledIn: string[]; mergeMethod: MergeMethod } {
  const d = new ProwDocs(files);
  return { orgs: d.orgs(), enabledIn: d.enabledIn(repo), mergeMethod: d.mergeMethodOf(repo) };
}

/** The edit touched whole lines only, in the one direction it should: else nothing is written. */
function guarded(d: ProwDocs, direction: "insert" | "remove"): RepoEdit {
  const out = d.result();
  const lines: string[] = [];
  for (const key of ["config", "plugins"] as const) {
    const ok = direction === "insert" ? insertedLines(d.files[key], out[key]) : insertedLines(out[key], d.files[key]);
    if (!ok || ok.some((line) => line.trim() === "")) throw new Error(`config/${key}.yaml: the ${direction === "insert" ? "addition" : "removal"} would also change existing lines; nothing was written (edit the file by hand)`);
    for (const l of ok) lines.push(`config/${key}.yaml ${direction === "insert" ? "+" : "-"} ${l}`);
  }
  return { ...out, lines };
}
