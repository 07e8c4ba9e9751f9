/**
 * The engine's and the providers' errors, turned into one sentence that says what to do.
 * Pure: the text in (the CLI's stderr, the diagnostics of the run), an error out. The raw
 * text stays attached as the cause (shown with --verbose).
 */
import { ConfigError, type ProwOpsError, RefusedError, SetupError } from "../../../stacks/core/errors";

export interface DiagnoseContext {
  stack: string;
  backend: string;
}

type Rule = (text: string, c: DiagnoseContext) => ProwOpsError | undefined;

const first = (text: string, re: RegExp) => re.exec(text) ?? undefined;

/** Which GitHub owner a message is about: from the provider's name, the API path or the wording. */
function githubOwner(text: string): string | undefined {
  const m = first(text, /pulumi:providers:github::github-([A-Za-z0-9-]+)/) ?? first(text, /api\.github\.com\/(?:orgs|users|repos)\/([A-Za-z0-9-]+)/) ?? first(text, /lookup (?:organization|owner|user)[: ]+"?([A-Za-z0-9-]+)/);
  return m?.[1];
}

const rules: Rule[] = [
  (text, c) => {
    if (!text.includes("the stack is currently locked by")) return undefined;
    const holder = first(text, /created by (\S+) \(pid (\d+)\) at (\S+)/);
    const who = holder ? ` by ${holder[1]} (pid ${holder[2]}) since ${holder[3]}` : "";
    return new RefusedError(
      `stack ${c.stack} is locked${who}: another update is running. Wait for it to end; if that run crashed, break the lock with \`prow-ops unlock --stack ${c.stack}\`.`,
    );
  },
  (text, c) =>
    /incorrect passphrase|failed to decrypt|invalid passphrase/i.test(text)
      ? new SetupError(`the passphrase does not open stack ${c.stack}'s secrets: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the passphrase this stack was created with.`)
      : undefined,
  (text, c) =>
    /passphrase must be set|PULUMI_CONFIG_PASSPHRASE.*(?:not set|must be set)/i.test(text)
      ? new SetupError(`stack ${c.stack} keeps its secrets with a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) and run again.`)
      : undefined,
  (text) => {
    const m =
      first(text, /no resource plugin '(?:pulumi-resource-)?([a-z0-9-]+?)-v(\d+\.\d+\.\d+[^']*)' found/) ??
      first(text, /could not (?:find|load) plugin for (?:resource )?(?:provider )?'?([a-z0-9-]+)'?.*?(\d+\.\d+\.\d+)/) ??
      first(text, /no resource plugin '(?:pulumi-resource-)?([a-z0-9-]+)' found/);
    if (!m) return undefined;
    const version = m[2] ? ` ${m[2]}` : "";
    return new SetupError(
      `the Pulumi provider plugin ${m[1]}${version} is not installed: run \`pulumi plugin install resource ${m[1]}${version}\` (the test bed builds its plugins with \`npm run testbed:setup\`).`,
    );
  },
  (text) => {
    if (!/401 Bad credentials/.test(text)) return undefined;
    const owner = githubOwner(text);
    return new SetupError(
      `GitHub refused the bot token${owner ? ` while looking up ${owner}` : ""} (401 Bad credentials): set a valid token with \`prow-ops secrets set githubToken\`; previewing the github layer needs it.`,
    );
  },
  (text) => {
    if (!/api\.github\.com/.test(text) || !/no such host|connection refused|i\/o timeout|network is unreachable|dial tcp/.test(text)) return undefined;
    const owner = githubOwner(text);
    return new SetupError(`GitHub (api.github.com) cannot be reached${owner ? ` to look up ${owner}` : ""}: previewing the github layer needs network access to GitHub; run from a machine that has it, or leave the github layer out with --target.`);
  },
  (text) => {
    if (!/failed to lookup (?:organization|owner|user)/i.test(text)) return undefined;
    const owner = githubOwner(text);
    return new SetupError(`GitHub did not answer the lookup of ${owner ?? "an owner"}: check that the bot token (githubToken) is valid and can see ${owner ?? "the owner"}, and that api.github.com is reachable; previewing the github layer needs both.`);
  },
  (text) =>
    /could not be read: stat [^\n]*dist\/stacks\/index\.js/.test(text)
      ? new SetupError("prow-ops is not built (dist/stacks/index.js is missing): run `npm run build` in the prow-ops folder.")
      : undefined,
  (text) =>
    /One of 'auth_url' or 'cloud' must be specified/.test(text)
      ? new SetupError(
          "the openstack provider has no credentials: set prow-ops:openstack.operatorUser and the secret openstackPassword, or name a cloud of your clouds.yaml with OS_CLOUD or prow-ops:openstack.operatorCloud.",
        )
      : undefined,
  (text) => {
    const m = first(text, /Missing required configuration variable 'prow-ops:([A-Za-z]+)'/);
    return m ? new ConfigError(`the secret ${m[1]} is not set: \`prow-ops secrets set ${m[1]}\` (from stdin or a hidden prompt); \`prow-ops secrets list\` shows what else is missing.`) : undefined;
  },
  (text) => {
    const m = first(text, /(invalid stack configuration in [^\n]*\n(?: {2}prow-ops[^\n]*\n)+[^\n]*)/);
    return m ? new ConfigError(m[1].trim()) : undefined;
  },
  (text) => {
    const m = first(text, /ConfigError: ([^\n]+)/);
    return m ? new ConfigError(m[1].trim()) : undefined;
  },
  (text, c) =>
    /NoSuchBucket|could not (?:open|access) bucket|unable to open bucket|failed to (?:load|read) checkpoint|blob \(key .*\) .*(?:connection refused|no such host)/i.test(text)
      ? new SetupError(`the state backend ${c.backend} cannot be read: check the URL (--backend or PULUMI_BACKEND_URL), that the bucket exists and that its credentials are set.`)
      : undefined,
];

/** The first rule that recognises the text, or undefined. */
export function diagnose(text: string, c: DiagnoseContext): ProwOpsError | undefined {
  for (const rule of rules) {
    const err = rule(text, c);
    if (err) return err;
  }
  return undefined;
}

/** The engine's own error lines ("error: ..."), without its noise, for errors no rule knows. */
export function engineErrorLines(text: string): string[] {
  return [...text.matchAll(/^\s*error: (.+)$/gm)].map((m) => m[1].trim()).filter((l, i, all) => all.indexOf(l) === i && !/^update failed$|^preview failed$/.test(l));
}
