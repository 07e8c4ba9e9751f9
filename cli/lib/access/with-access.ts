/**
 * Every command that needs a cluster behind the bastion opens the path by itself, for its own
 * duration, and hands it to the engine and the clients through stable kubeconfig files
 * (stacks/core/access-env.ts). A path that `prow-ops access` holds open is reused.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { dump, load } from "js-yaml";
import { type LayerName, LAYER_CLUSTER, LAYERS } from "../../../config/layer-names";
import type { ClusterRole, StackConfig } from "../../../config/schema";
import type { SecretName } from "../../../stacks/core/secret-text";
import { ACCESS_ENV } from "../../../stacks/core/access-env";
import { SetupError } from "../../../stacks/core/errors";
import { connect } from "../../../stacks/core/kube-client";
import { confirmTyped } from "../confirm";
import type { Context } from "../context";
import { type OpenedStack, openProjectStack } from "../engine/workspace";
import { storeOf } from "../runbook/command";
import { StackFile } from "../stack-file";
import type { TeamStore } from "../team/store";
import { fingerprints, knownHostsText, pinBastion, readBastions, scanHostKeys } from "./bastions";
import { type ClusterPath, livePath, openPath, type PathSpec, type Route, runtimeDir } from "./cluster-path";
import { writeFileSync } from "node:fs";

export const SECRET_KUBECONFIG: Record<ClusterRole, SecretName> = { management: "managementKubeconfig", workload: "workloadKubeconfig" };

const osc = (c: StackConfig) => `/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/${c.cluster.namespace}/openstackclusters/${c.cluster.name}`;

/** A cluster's kubeconfig as the stack configures it (secret contents, a path, or the ambient one), with its context made current. */
export async function kubeconfigContents(ctx: Context, role: ClusterRole, opened?: OpenedStack): Promise<string> {
  const file = StackFile.load(ctx.stackFile);
  const access = file.config().kubernetes?.[role] ?? {};
  let text: string;
  if (file.secretsSet().includes(SECRET_KUBECONFIG[role])) {
    const stack = opened ?? (await openProjectStack({ projectDir: ctx.projectDir, stack: ctx.options.stack, backend: ctx.options.backend }));
    text = (await stack.stack.getConfig(`prow-ops:${SECRET_KUBECONFIG[role]}`)).value;
  } else {
    const path = access.kubeconfig ? resolve(ctx.projectDir, access.kubeconfig) : (process.env.KUBECONFIG?.split(delimiter)[0] ?? join(homedir(), ".kube", "config"));
    text = readFileSync(path, "utf8");
  }
  if (!access.context) return text;
  const doc = load(text) as Record<string, unknown>;
  doc["current-context"] = access.context;
  return dump(doc);
}

/** The clusters behind the bastion that these layers need (all layers: every one). */
export function rolesBehindBastion(c: StackConfig, layers: readonly LayerName[] = LAYERS): ClusterRole[] {
  const wanted = new Set(layers.map((l) => LAYER_CLUSTER[l]).filter(Boolean));
  return (c.kubernetes?.bastion?.clusters ?? []).filter((r) => wanted.has(r));
}

export interface AccessOptions {
  opened?: OpenedStack;
  /** Layers the command works on (default all): only their clusters need the path. */
  layers?: readonly LayerName[];
  /** The bastion's floating IP, when neither the management cluster nor the team's record knows it. */
  bastionIP?: string;
}

export interface AccessSetup {
  config: StackConfig;
  store: TeamStore;
  spec: PathSpec;
}

export async function accessSetup(ctx: Context, roles: ClusterRole[], opened?: OpenedStack): Promise<AccessSetup> {
  const config = StackFile.load(ctx.stackFile).config();
  const bastion = config.kubernetes?.bastion;
  if (!bastion) throw new SetupError(`stack ${ctx.options.stack} reaches its clusters directly: set kubernetes.bastion in its config to go through the bastion`);
  const kubeconfigs: PathSpec["kubeconfigs"] = {};
  for (const role of roles) kubeconfigs[role] = await kubeconfigContents(ctx, role, opened);
  const identityFile = bastion.identityFile?.replace(/^~(?=\/)/, homedir());
  return { config, store: await storeOf(ctx), spec: { stack: ctx.options.stack, kubeconfigs, user: bastion.user, identityFile } };
}

/** The bastion's floating IP: given, else the OpenStackCluster's status (when the management cluster is reached directly), else the team's record. */
export async function bastionAddress(ctx: Context, setup: AccessSetup, given?: string): Promise<string> {
  if (given) return given;
  const { config } = setup;
  if (!config.kubernetes?.bastion?.clusters.includes("management")) {
    const kube = await connect({ inline: await kubeconfigContents(ctx, "management") });
    const status = (await kube.get(osc(config)))?.status as { bastion?: { floatingIP?: string } } | undefined;
    if (status?.bastion?.floatingIP) return status.bastion.floatingIP;
    throw new SetupError(
      `the OpenStackCluster ${config.cluster.name} reports no bastion: enable it (prow-ops config set cluster.bastion.enabled true, then prow-ops up --target cluster) or open direct access with prow-ops access --temporary-ip`,
    );
  }
  const current = (await readBastions(setup.store, ctx.options.stack)).current;
  if (current) return current;
  throw new SetupError(
    `no bastion is known for stack ${ctx.options.stack} yet: give its floating IP once with \`prow-ops access --bastion-ip <IP>\` (openstack server show ${config.cluster.name}-bastion -c addresses)`,
  );
}

/**
 * A known_hosts file pinning the bastion's key. First contact shows the fingerprints and asks
 * to confirm (compare them with the bastion's console log); later the pinned key is required.
 */
export async function pinnedKnownHosts(ctx: Context, setup: AccessSetup, ip: string, o: { acceptNew?: boolean } = {}): Promise<string> {
  let keys = (await readBastions(setup.store, ctx.options.stack)).hostKeys[ip];
  if (!keys?.length) {
    const scanned = scanHostKeys(ip);
    if (!scanned.length) throw new SetupError(`the bastion ${ip} does not answer on ssh (port 22): is it running, and is this address its floating IP?`);
    if (!o.acceptNew) {
      const name = `${setup.config.cluster.name}-bastion`;
      await confirmTyped(
        ctx,
        `first connection to the bastion ${ip}; its host keys are\n${fingerprints(ip, scanned).map((f) => `  ${f}`).join("\n")}\ncompare them with the bastion's console (openstack console log show ${name} | grep -A6 'BEGIN SSH HOST KEY FINGERPRINTS') before pinning them for the team`,
        ip,
      );
    }
    await pinBastion(setup.store, ctx.options.stack, ip, scanned);
    keys = scanned;
  } else if ((await readBastions(setup.store, ctx.options.stack)).current !== ip) {
    await pinBastion(setup.store, ctx.options.stack, ip, keys);
  }
  const file = join(runtimeDir(ctx.options.stack), "known_hosts");
  writeFileSync(file, knownHostsText(ip, keys), { mode: 0o600 });
  return file;
}

/** Opens (or reuses) the path for these clusters; undefined when the stack reaches them directly. */
export async function openAccess(ctx: Context, o: AccessOptions = {}): Promise<ClusterPath | undefined> {
  let config: StackConfig;
  try {
    config = StackFile.load(ctx.stackFile).config();
  } catch {
    // An invalid config is reported by the command itself (the program validates it), as without a bastion.
    return undefined;
  }
  const roles = rolesBehindBastion(config, o.layers);
  if (!roles.length) return undefined;
  const live = livePath(ctx.options.stack, roles);
  if (live) return live;
  const setup = await accessSetup(ctx, roles, o.opened);
  const ip = await bastionAddress(ctx, setup, o.bastionIP);
  const route: Route = { via: "bastion", bastionIP: ip, knownHosts: await pinnedKnownHosts(ctx, setup, ip) };
  return openPath(setup.spec, route);
}

/** Points the engine and the clients at the path's files until the returned function puts the environment back. */
export function holdPath(path: ClusterPath | undefined): () => void {
  if (!path) return () => undefined;
  const names = Object.keys(path.files).map((r) => ACCESS_ENV.kubeconfig(r as ClusterRole));
  const before = names.map((n) => process.env[n]);
  Object.entries(path.files).forEach(([role, file]) => {
    process.env[ACCESS_ENV.kubeconfig(role as ClusterRole)] = file;
  });
  return () =>
    names.forEach((n, i) => {
      if (before[i] === undefined) delete process.env[n];
      else process.env[n] = before[i];
    });
}

/** Points the engine and the clients at the path's files for as long as `fn` runs. */
export async function withPath<T>(path: ClusterPath | undefined, fn: () => Promise<T>): Promise<T> {
  const restore = holdPath(path);
  try {
    return await fn();
  } finally {
    restore();
  }
}

/** Opens the path (unless this process already holds one), runs `fn` through it, closes it. */
export async function withAccess<T>(ctx: Context, o: AccessOptions, fn: () => Promise<T>): Promise<T> {
  if (process.env[ACCESS_ENV.kubeconfig("workload")] || process.env[ACCESS_ENV.kubeconfig("management")]) return fn();
  const path = await openAccess(ctx, o);
  try {
    return await withPath(path, fn);
  } finally {
    await path?.close();
  }
}
