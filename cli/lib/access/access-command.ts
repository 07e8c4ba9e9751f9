/**
 * `prow-ops access`: the path to the clusters through the bastion, held open in the
 * foreground until Ctrl-C; with --temporary-ip, direct access from this machine's address for
 * as long as it runs, removed at the end whatever happens.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ProwOpsError, RefusedError, UsageError } from "../../../stacks/core/errors";
import { confirmTyped } from "../confirm";
import type { Context } from "../context";
import { exclusive } from "../engine/commands";
import { withStack } from "../engine/session";
import type { OpenedStack } from "../engine/workspace";
import { withInterrupts } from "../interrupt";
import { StackFile } from "../stack-file";
import { teamStoreFor } from "../team/store";
import { runtimeDir } from "./cluster-path";
import { allows, applyClusterLayer, managementKube, waitDirect, waitForOsc } from "./load-balancer";
import { describe, detectPublicAddress, dropTemporary, listTemporary, recordTemporary, singleAddress } from "./temporary-cidrs";
import { kubeconfigContents, openAccess } from "./with-access";

export const DEFAULT_PUBLIC_ADDRESS_URL = "https://api.ipify.org";

export interface AccessCommandOptions {
  bastionIp?: string;
  temporaryIp?: string | boolean;
  clearTemporaryIps?: boolean;
}

/** Resolves on Ctrl-C / SIGTERM (or when `also` settles); a timer keeps the process alive meanwhile. */
function untilInterrupted(also?: Promise<unknown>): Promise<unknown> {
  const alive = setInterval(() => undefined, 1 << 30);
  return new Promise<unknown>((resolveWait) => {
    void withInterrupts(() => resolveWait(undefined), () => (also ? also.then(resolveWait) : new Promise(() => undefined)));
  }).finally(() => clearInterval(alive));
}

export async function accessCommand(ctx: Context, o: AccessCommandOptions): Promise<void> {
  if (o.bastionIp) singleAddress(o.bastionIp);
  if (o.clearTemporaryIps) return clearTemporary(ctx);
  if (o.temporaryIp) return temporaryAccess(ctx, typeof o.temporaryIp === "string" ? o.temporaryIp : undefined);
  const config = StackFile.load(ctx.stackFile).config();
  if (!config.kubernetes?.bastion) {
    throw new UsageError(`stack ${ctx.options.stack} reaches its clusters directly (its config sets no kubernetes.bastion): there is no path to open. Set kubernetes.bastion (clusters, user) for a cluster reached through its bastion.`);
  }
  const path = await openAccess(ctx, { bastionIP: o.bastionIp });
  if (!path) throw new UsageError(`kubernetes.bastion.clusters of stack ${ctx.options.stack} lists no cluster`);
  try {
    for (const role of Object.keys(path.files) as Array<"management" | "workload">) {
      if (!(await path.probe(role, 10_000))) throw new ProwOpsError("ACCESS", `the ${role} cluster does not answer through the bastion: the tunnel is up, but the API behind it is not reachable from the bastion (is its floating IP among the load balancer's allowed sources?)`);
    }
    const files = path.files;
    const via = path.route.via === "bastion" ? path.route.bastionIP : "direct";
    const human = [
      `${path.owned ? "open" : "already open (held by another prow-ops access)"}: the clusters through the bastion ${via}`,
      ...Object.entries(files).map(([role, f]) => `  ${role.padEnd(10)} export KUBECONFIG=${f}`),
      path.owned ? "Every prow-ops command of this stack uses it meanwhile. Ctrl-C closes it." : "",
    ].join("\n");
    ctx.reporter.result({ stack: ctx.options.stack, bastion: via, kubeconfig: files, owned: path.owned }, human);
    if (!path.owned) return;
    const why = await untilInterrupted(path.lost);
    if (typeof why === "string") throw new ProwOpsError("ACCESS", `${why}: run prow-ops access again`);
  } finally {
    await path.close();
  }
}

/** --temporary-ip: the address added through the stack, direct access verified, held, removed. */
async function temporaryAccess(ctx: Context, given?: string): Promise<void> {
  const config = StackFile.load(ctx.stackFile).config();
  const cidr = given ? singleAddress(given) : await detectPublicAddress(config.kubernetes?.publicAddressUrl ?? DEFAULT_PUBLIC_ADDRESS_URL);
  await withStack(ctx, { clusters: ["cluster"], reapTemporary: true }, async (opened, signal) => {
    const store = await teamStoreFor(opened.backend);
    if ((await listTemporary(store, opened.stackName)).some((e) => e.cidr === cidr)) throw new RefusedError(`${cidr} is already a temporary source of stack ${opened.stackName}; it is held by another run (see prow-ops access --clear-temporary-ips)`);
    if (config.cluster.allowedCIDRs.includes(cidr)) throw new RefusedError(`${cidr} is already in cluster.allowedCIDRs: direct access is open for it permanently`);
    await exclusive(opened, "access", async () => {
      await recordTemporary(store, opened.stackName, cidr);
      ctx.reporter.info(`adding ${cidr} to the API load balancer's allowed sources (cluster layer)`);
      await applyClusterLayer(ctx, opened, signal);
    });
    let held: unknown;
    try {
      await waitForOsc(await managementKube(ctx), config, `${cidr} among the allowed sources`, (s) => allows(s, cidr), { signal });
      await waitDirect(ctx, true, { signal, timeoutMs: 60_000 });
      const direct = await directKubeconfig(ctx, opened);
      ctx.reporter.result({ stack: opened.stackName, temporarySource: cidr, kubeconfig: direct.file }, `direct access open for ${cidr}:\n  export KUBECONFIG=${direct.file}\nCtrl-C removes the address again.`);
      await untilInterrupted().finally(direct.remove);
    } catch (err) {
      held = err;
    } finally {
      await removeTemporary(ctx, opened, [cidr], held);
    }
    if (held) throw held;
  });
}

/** The kubeconfig that goes straight to the load balancer: the configured file, else the secret's contents in a private runtime file (removed at the end). */
async function directKubeconfig(ctx: Context, opened: OpenedStack): Promise<{ file: string; remove(): void }> {
  const configured = StackFile.load(ctx.stackFile).config().kubernetes?.workload?.kubeconfig;
  if (configured && !StackFile.load(ctx.stackFile).secretsSet().includes("workloadKubeconfig")) return { file: resolve(ctx.projectDir, configured), remove: () => undefined };
  const file = join(runtimeDir(ctx.options.stack), "direct.kubeconfig");
  writeFileSync(file, await kubeconfigContents(ctx, "workload", opened), { mode: 0o600 });
  return { file, remove: () => rmSync(file, { force: true }) };
}

/** Removes the addresses through the stack; when that fails, says loudly that they are still there and how to remove them. */
async function removeTemporary(ctx: Context, opened: OpenedStack, cidrs: string[], cause?: unknown): Promise<void> {
  const store = await teamStoreFor(opened.backend);
  try {
    await exclusive(opened, "access", async () => {
      await dropTemporary(store, opened.stackName, cidrs);
      ctx.reporter.info(`removing ${cidrs.join(", ")} from the API load balancer's allowed sources`);
      await applyClusterLayer(ctx, opened);
    });
    const config = StackFile.load(ctx.stackFile).config();
    await waitForOsc(await managementKube(ctx), config, `${cidrs.join(", ")} no longer allowed`, (s) => cidrs.every((c) => !allows(s, c)));
    ctx.reporter.info(`${cidrs.join(", ")} removed: direct access is closed again`);
  } catch (err) {
    ctx.reporter.warn(
      `THE TEMPORARY SOURCE ${cidrs.join(", ")} IS STILL ALLOWED on the API load balancer of stack ${opened.stackName} (${(err as Error).message}). Remove it with: prow-ops --stack ${opened.stackName} access --clear-temporary-ips`,
    );
    if (!cause) throw err;
  }
}

async function clearTemporary(ctx: Context): Promise<void> {
  await withStack(ctx, { clusters: ["cluster"], reapTemporary: true }, async (opened) => {
    const entries = await listTemporary(await teamStoreFor(opened.backend), opened.stackName);
    if (!entries.length) {
      ctx.reporter.result({ stack: opened.stackName, removed: [] }, `stack ${opened.stackName} holds no temporary source`);
      return;
    }
    await confirmTyped(ctx, `removes the temporary source(s) ${entries.map(describe).join("; ")}: a run still using one loses its direct access`, opened.stackName);
    await removeTemporary(ctx, opened, entries.map((e) => e.cidr));
    ctx.reporter.result({ stack: opened.stackName, removed: entries.map((e) => e.cidr) }, `removed ${entries.map((e) => e.cidr).join(", ")}`);
  });
}
