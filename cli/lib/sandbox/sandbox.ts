/**
 * `prow-ops sandbox up | status | run | down`: the local cloud for a person. A supervisor
 * process (detached, `sandbox serve`) holds the hosts, the two control planes — a management
 * cluster on the operator host (like a kind cluster on a laptop) and the workload cluster
 * behind the API load balancer — the CAPO simulator (bastion, load balancer) and the CAPI
 * simulator (Machines, Nodes, rolls); `up` then derives a `sandbox` stack from the production
 * one and applies its Kubernetes layers, the workload's through the bastion. `up --empty`
 * applies nothing, for `bootstrap` to build it all: the management control plane stands in
 * for the kind cluster, the supervisor plays the cluster-api-operator (the real clusterctl
 * init from the local cloud's provider repository) and CAPO and CAPI follow the objects to
 * the workload cluster when they are moved. `run` runs prow-ops on the operator host against
 * it, with the local cloud's `openstack` on its PATH; `down` leaves nothing behind.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadAll } from "js-yaml";
import { parseDocument } from "yaml";
import { PROJECT } from "../../../config/load";
import { ProwOpsError, RefusedError, SetupError } from "../../../stacks/core/errors";
import { cacheDir, fromRoot, writeAtomic } from "../../../stacks/core/paths";
import { SECRET_INFO, SECRET_NAMES } from "../../../stacks/core/secret-text";
import { connect } from "../../../stacks/core/kube-client";
import { loadUpstream } from "../../../stacks/core/upstream";
import { pinBastion, scanHostKeys } from "../access/bastions";
import { kubeconfigThroughTunnel } from "../access/tunnel";
import { runtimeDir } from "../access/cluster-path";
import { setSecret } from "../automation";
import type { Context } from "../context";
import { DEFAULT_STATE_DIR, openProjectStack } from "../engine/workspace";
import { StackFile } from "../stack-file";
import { teamStoreFor } from "../team/store";
import { startCapiSimulator } from "./capi-simulator";
import { startCapoSimulator } from "./capo-simulator";
import { startControlPlane } from "./control-plane";
import { ADDRESSES, API_PORT, localCloudMissing, startLocalCloud } from "./local-cloud";
import { installCrds } from "./crds";
import { installOpenstackCli, openstackCall } from "./openstack-cli";
import { playKubelets } from "./kubelet-simulator";
import { playOperator } from "./operator-simulator";
import { writeProviderRepository } from "./provider-repository";
import { startTicker } from "./ticker";
import { sandboxTool } from "./tools";
import { processAlive } from "../process-alive";

export const SANDBOX_STACK = "sandbox";
const FLOATING_IPS = Array.from({ length: 30 }, (_, i) => `198.51.100.${30 + i}`);
const SANDBOX_LAYERS = ["capi", "cluster", "cluster-resources", "infra", "prow"];

interface SandboxState {
  pid: number;
  ready: boolean;
  error?: string;
  dir: string;
  namespaces: string[];
  operatorNamespace: string;
  kubeconfigs: { management: string; workload: string };
  operatorKey: string;
  whatIsMyIpUrl: string;
  cluster: { name: string; namespace: string };
  /** Nothing applied: the sandbox waits for `bootstrap`. */
  empty: boolean;
  /** The local cloud's clusterctl configuration (its provider repository). */
  clusterctlConfig: string;
  started: string;
}

const home = () => cacheDir("sandbox");
const stateFile = () => join(home(), "state.json");
const logFile = () => join(home(), "supervisor.log");
const passphraseFile = () => join(home(), "passphrase");
/** The local cloud's image catalog (what `openstack image show` finds). */
const imageCatalog = () => join(home(), "images");


function readState(): SandboxState | undefined {
  return existsSync(stateFile()) ? (JSON.parse(readFileSync(stateFile(), "utf8")) as SandboxState) : undefined;
}

function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) throw new RefusedError(`${what} needs root: the sandbox's hosts are network namespaces (run it with sudo)`);
}

/** The CAPI and CAPO CRDs of `crdsDir` (as clusterctl init installs them). */
function capiCrds(crdsDir: string): object[] {
  const dirs = readdirSync(crdsDir).filter((d) => /^cap[io]-v/.test(d));
  if (dirs.length < 2) throw new SetupError(`${crdsDir} should hold the folders capi-v* and capo-v* with the CAPI and CAPO CRDs (as clusterctl init installs them)`);
  return dirs.flatMap((d) =>
    readdirSync(join(crdsDir, d))
      .filter((f) => f.endsWith(".yaml"))
      .flatMap((f) => loadAll(readFileSync(join(crdsDir, d, f), "utf8")) as object[]),
  );
}

/** `sandbox serve` (the detached supervisor): starts everything, reports in the state file, tears down on SIGTERM. */
export async function serve(o: { crds: string; from: string; empty?: boolean }): Promise<void> {
  const production = StackFile.load(o.from).config();
  const { name: clusterName, namespace } = production.cluster;
  const dir = mkdtempSync(join(tmpdir(), "prow-ops-sandbox-"));
  const stops: Array<() => Promise<void>> = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateFile(), { force: true });
  };
  const report = (s: Partial<SandboxState>) => writeAtomic(stateFile(), JSON.stringify({ pid: process.pid, dir, ...s }, null, 2));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void teardown().then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  try {
    const cloud = await startLocalCloud();
    stops.push(() => cloud.destroy());
    const managementPort = 16443;
    const management = await startControlPlane("sandbox-management", { netns: cloud.ns.operator, address: "127.0.0.1", port: managementPort, sans: [] });
    stops.push(() => management.stop());
    const workload = await startControlPlane("sandbox-workload", { netns: cloud.ns.cluster, address: ADDRESSES.apiServer, port: API_PORT, sans: [ADDRESSES.vip] });
    stops.push(() => workload.stop());
    // cert-manager's CRDs from its pinned release manifest (the upstream store: mirror, cache or download).
    const certManager = (await loadUpstream(["cert-manager"]))["cert-manager"];
    const providerCrds = capiCrds(o.crds);
    const clusterctlConfig = writeProviderRepository(join(home(), "clusterctl"), production.versions, [...providerCrds, ...certManager]);
    if (!o.empty) {
      // What bootstrap would have left: the providers in the management cluster, cert-manager in the workload one.
      installCrds(management, providerCrds);
      installCrds(workload, certManager);
    }
    // What CAPI's `<cluster>-kubeconfig` Secret holds: the API through the load balancer's VIP.
    const throughVip = workload.kubeconfig.replace(/server: .*/, `server: https://${ADDRESSES.vip}:${API_PORT}`);
    const workloadKubeconfig = join(dir, "workload.kubeconfig");
    writeFileSync(workloadKubeconfig, throughVip);
    // CAPO runs in the management cluster; from here it reaches that API through a bridge.
    const bridged = await cloud.expose("operator", "127.0.0.1", managementPort);
    const kube = await connect({ inline: kubeconfigThroughTunnel(management.kubeconfig, bridged) });
    const workloadPort = await cloud.expose("cluster", ADDRESSES.apiServer, API_PORT);
    const workloadKube = await connect({ inline: kubeconfigThroughTunnel(workload.kubeconfig, workloadPort) });
    // A load balancer CAPO has not configured yet admits every source.
    cloud.setAllowedSources(["0.0.0.0/0"]);
    const sim = await startCapoSimulator({ cloud, management: kube, movesTo: o.empty ? workloadKube : undefined, namespace, name: clusterName, floatingIPs: FLOATING_IPS, delayMs: 2000 });
    stops.push(() => sim.stop());
    // The Cluster API side (Machines and their Nodes, rolls, drains), the workload API reached directly;
    // after bootstrap's move, the one in the workload cluster acts.
    for (const where of o.empty ? [kube, workloadKube] : [kube]) {
      const capi = await startCapiSimulator({ management: where, workload: workloadKube, namespace, cluster: clusterName, workloadKubeconfig: where === kube ? throughVip : undefined });
      stops.push(() => capi.stop());
    }
    const managementKubeconfig = kubeconfigThroughTunnel(management.kubeconfig, bridged);
    const played = { ...production, kubernetes: { clusterctlConfig } };
    const controllers = startTicker("sandbox controllers", async () => {
      if (o.empty) await playOperator(kube, managementKubeconfig, played);
      await playKubelets(workloadKube);
    });
    stops.push(() => controllers.stop());
    report({
      ready: true,
      namespaces: Object.values(cloud.ns),
      operatorNamespace: cloud.ns.operator,
      kubeconfigs: { management: management.kubeconfigPath, workload: workloadKubeconfig },
      operatorKey: cloud.operatorKey,
      whatIsMyIpUrl: cloud.whatIsMyIpUrl,
      cluster: { name: clusterName, namespace },
      empty: Boolean(o.empty),
      clusterctlConfig,
      started: new Date().toISOString(),
    });
    setInterval(() => undefined, 1 << 30);
  } catch (err) {
    report({ ready: false, error: (err as Error).message });
    await teardown();
    process.exitCode = 1;
  }
}

/** The sandbox stack file: the production stack's plain config, the sandbox's clusters and bastion, no secrets of production. */
function writeSandboxStack(ctx: Context, from: string, s: SandboxState): string {
  const source = join(ctx.projectDir, `Pulumi.${from}.yaml`);
  if (!existsSync(source)) throw new SetupError(`${source} does not exist: give the stack to derive the sandbox from with --from`);
  const doc = parseDocument(readFileSync(source, "utf8"));
  for (const key of ["encryptionsalt", "secretsprovider", "encryptedkey"]) doc.delete(key);
  for (const name of SECRET_NAMES) doc.deleteIn(["config", `${PROJECT}:${name}`]);
  doc.setIn(["config", `${PROJECT}:layers`], SANDBOX_LAYERS);
  doc.setIn(["config", `${PROJECT}:cluster`, "allowedCIDRs"], [ADDRESSES.clusterCidr]);
  const local = { publicAddressUrl: s.whatIsMyIpUrl, skipAwait: true, webhookFailurePolicy: "Ignore", clusterctlConfig: s.clusterctlConfig };
  // Empty, bootstrap keeps the kubeconfigs as stack secrets and opens the bastion path once the bastion exists.
  doc.setIn(
    ["config", `${PROJECT}:kubernetes`],
    s.empty ? { bastion: bastionAccess(s), ...local } : { management: { kubeconfig: s.kubeconfigs.management }, workload: { kubeconfig: s.kubeconfigs.workload }, ...local },
  );
  doc.commentBefore = ` The sandbox stack, derived from Pulumi.${from}.yaml by \`prow-ops sandbox up\` (removed by \`sandbox down\`).\n Its clusters are local; nothing here reaches production.`;
  const path = join(ctx.projectDir, `Pulumi.${SANDBOX_STACK}.yaml`);
  writeFileSync(path, doc.toString());
  return path;
}

const backend = (ctx: Context) => `file://${join(ctx.projectDir, DEFAULT_STATE_DIR)}`;

/** prow-ops itself on the sandbox's operator host, against the sandbox stack. */
function runOnOperator(ctx: Context, s: SandboxState, args: string[], stdio: "inherit" | "pipe" = "inherit"): ChildProcess {
  const argv = ["ip", "netns", "exec", s.operatorNamespace, process.execPath, fromRoot("bin", "prow-ops.js"), "--stack", SANDBOX_STACK, "--backend", backend(ctx), ...args];
  const env: NodeJS.ProcessEnv = { ...process.env, PULUMI_CONFIG_PASSPHRASE_FILE: passphraseFile(), PROW_OPS_PROJECT_DIR: ctx.projectDir, PATH: `${join(home(), "bin")}:${process.env.PATH}` };
  delete env.PULUMI_CONFIG_PASSPHRASE;
  return spawn(argv[0], argv.slice(1), { stdio, cwd: ctx.projectDir, env });
}

function runToEnd(ctx: Context, s: SandboxState, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = runOnOperator(ctx, s, args, "pipe");
    child.stdout?.on("data", (d) => ctx.reporter.progress(String(d).trimEnd()));
    child.stderr?.on("data", (d) => ctx.reporter.progress(String(d).trimEnd()));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new ProwOpsError("SANDBOX", `prow-ops ${args.join(" ")} in the sandbox failed (exit ${code}); the sandbox stays up: prow-ops sandbox down removes it`))));
  });
}

const bastionAccess = (s: SandboxState) => ({ clusters: ["workload"], user: "root", identityFile: s.operatorKey });

export async function sandboxUp(ctx: Context, o: { crds?: string; from: string; empty?: boolean }): Promise<void> {
  requireRoot("sandbox up");
  const missing = localCloudMissing();
  if (missing) throw new SetupError(`the sandbox needs ${missing}: npm run testbed:setup installs what is missing`);
  for (const bin of ["etcd", "kube-apiserver", "kubectl"]) sandboxTool(bin);
  const crds = o.crds ?? process.env.PROW_OPS_CRDS;
  if (!crds || !existsSync(crds)) throw new SetupError("the sandbox needs the CAPI and CAPO CRDs (as clusterctl init installs them): give their folder with --crds DIR or PROW_OPS_CRDS");
  capiCrds(crds);
  const existing = readState();
  if (existing && processAlive(existing.pid)) throw new RefusedError(`a sandbox is already up (supervisor pid ${existing.pid}, since ${existing.started}): prow-ops sandbox status, or prow-ops sandbox down first`);
  mkdirSync(home(), { recursive: true });
  rmSync(stateFile(), { force: true });
  const productionFile = join(ctx.projectDir, `Pulumi.${o.from}.yaml`);
  StackFile.load(productionFile).config();

  ctx.reporter.info("starting the local cloud (hosts, sshd bastions, load balancer), two control planes and the CAPO simulator");
  const log = openSync(logFile(), "w");
  const supervisor = spawn(process.execPath, [fromRoot("bin", "prow-ops.js"), "sandbox", "serve", "--crds", crds, "--from", productionFile, ...(o.empty ? ["--empty"] : [])], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  supervisor.unref();
  const deadline = Date.now() + 180_000;
  let s = readState();
  while (!s?.ready) {
    if (s?.error || !processAlive(supervisor.pid as number) || Date.now() > deadline) {
      throw new ProwOpsError("SANDBOX", `the sandbox did not start: ${s?.error ?? "see the log"} (${logFile()})`);
    }
    await new Promise((r) => setTimeout(r, 500));
    s = readState();
  }

  if (!existsSync(passphraseFile())) writeFileSync(passphraseFile(), randomBytes(24).toString("hex"), { mode: 0o600 });
  const stackFile = writeSandboxStack(ctx, o.from, s);
  // The cloud's images: every image the stack names (node templates, bastion) exists.
  const sandboxConfig = StackFile.load(stackFile).config();
  installOpenstackCli(home(), imageCatalog(), [...sandboxConfig.cluster.machineTemplates.map((t) => t.image), sandboxConfig.cluster.bastion.image]);
  process.env.PULUMI_CONFIG_PASSPHRASE_FILE = passphraseFile();
  delete process.env.PULUMI_CONFIG_PASSPHRASE;
  const opened = await openProjectStack({ projectDir: ctx.projectDir, stack: SANDBOX_STACK, backend: backend(ctx) });
  for (const name of SECRET_NAMES.filter((n) => SECRET_INFO[n].whenUnset !== "optional")) await setSecret(opened.stack, name, `sandbox-${name}-${randomBytes(8).toString("hex")}`);
  if (s.empty) {
    ctx.reporter.result(
      { stack: SANDBOX_STACK, ...s },
      [
        `sandbox up: the local cloud and two control planes, nothing applied; stack ${SANDBOX_STACK} derived from ${o.from}`,
        "Rehearse the bootstrap (the management control plane stands in for the kind cluster):",
        "  sudo prow-ops sandbox run -- bootstrap --plan",
        `  sudo prow-ops sandbox run -- bootstrap --bootstrap-kubeconfig ${s.kubeconfigs.management}`,
        "Then anything else on the installation it built, e.g. sudo prow-ops sandbox run -- status",
        "Tear it down (namespaces, processes, temporary folders, the sandbox stack): sudo prow-ops sandbox down",
      ].join("\n"),
    );
    return;
  }

  ctx.reporter.info("applying the management layers (capi, cluster); CAPO then starts the bastion and closes the load balancer");
  await runToEnd(ctx, s, ["--yes", "up", "--target", "capi", "--target", "cluster"]);
  const bastionIP = await waitForBastion(s);
  // The sandbox made this bastion itself: its key is pinned for the team without asking.
  const keys = scanHostKeys(bastionIP, 5, ["ip", "netns", "exec", s.operatorNamespace]);
  await pinBastion(await teamStoreFor(backend(ctx)), SANDBOX_STACK, bastionIP, keys);
  StackFile.load(stackFile).update([[["kubernetes", "bastion"], bastionAccess(s)]]);
  ctx.reporter.info(`applying the workload layers through the bastion ${bastionIP}`);
  await runToEnd(ctx, s, ["--yes", "up"]);
  ctx.reporter.result(
    { stack: SANDBOX_STACK, bastion: bastionIP, ...s },
    [
      `sandbox up: stack ${SANDBOX_STACK} (derived from ${o.from}) applied to two local control planes; bastion ${bastionIP}`,
      "Rehearse on it (prow-ops runs on the sandbox's operator host):",
      "  sudo prow-ops sandbox run -- status",
      "  sudo prow-ops sandbox run -- bastion swap --image ubuntu-2404-new",
      "  sudo prow-ops sandbox openstack -- image create ubuntu-2204-kube-v1.31.4   (the node image an upgrade needs)",
      "  sudo prow-ops sandbox run -- upgrade-k8s --to v1.31.4",
      "  sudo prow-ops sandbox run -- access       (then, in another shell: sudo prow-ops sandbox run -- ...)",
      "Tear it down (namespaces, processes, temporary folders, the sandbox stack): sudo prow-ops sandbox down",
    ].join("\n"),
  );
}

async function waitForBastion(s: SandboxState): Promise<string> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const res = spawnSync("ip", ["netns", "exec", s.operatorNamespace, sandboxTool("kubectl"), `--kubeconfig=${s.kubeconfigs.management}`, "get", "openstackcluster", "-n", s.cluster.namespace, s.cluster.name, "-o", "jsonpath={.status.bastion.floatingIP}"], { encoding: "utf8" });
    if (res.status === 0 && res.stdout.trim()) return res.stdout.trim();
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new ProwOpsError("SANDBOX", "the sandbox's bastion did not come up within 2 minutes");
}

export function sandboxStatus(ctx: Context): void {
  const s = readState();
  if (!s) {
    ctx.reporter.result({ up: false }, "no sandbox is up (prow-ops sandbox up starts one)");
    return;
  }
  const running = processAlive(s.pid);
  const present = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  const namespaces = (s.namespaces ?? []).filter((n) => present.includes(n));
  ctx.reporter.result(
    { up: running && s.ready, supervisor: s.pid, running, empty: s.empty, namespaces, kubeconfigs: s.kubeconfigs, started: s.started },
    [
      `sandbox ${running && s.ready ? "up" : "BROKEN"} since ${s.started} (supervisor pid ${s.pid}${running ? "" : ", gone"})${s.empty ? "; started empty, for bootstrap" : ""}`,
      `  hosts: ${namespaces.length}/${s.namespaces?.length ?? 0} network namespaces present`,
      `  management kubeconfig: ${s.kubeconfigs?.management}  (on the operator host)`,
      `  workload kubeconfig:   ${s.kubeconfigs?.workload}  (through the load balancer; the bastion path: sudo prow-ops sandbox run -- access)`,
      running ? "  run prow-ops on it: sudo prow-ops sandbox run -- <command>" : "  remove what is left: sudo prow-ops sandbox down",
    ].join("\n"),
  );
}

export async function sandboxRun(ctx: Context, args: string[]): Promise<number> {
  requireRoot("sandbox run");
  const s = readState();
  if (!s?.ready || !processAlive(s.pid)) throw new RefusedError("no sandbox is up: prow-ops sandbox up starts one");
  const child = runOnOperator(ctx, s, args);
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise((resolve) => child.on("close", (code) => resolve(code ?? 1)));
}

export async function sandboxDown(ctx: Context): Promise<void> {
  requireRoot("sandbox down");
  const s = readState();
  if (s && processAlive(s.pid)) {
    process.kill(s.pid, "SIGTERM");
    const deadline = Date.now() + 90_000;
    while (processAlive(s.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    if (processAlive(s.pid)) process.kill(s.pid, "SIGKILL");
  }
  // Whatever a killed supervisor could not remove.
  for (const ns of s?.namespaces ?? []) {
    const pids = (spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout ?? "").split(/\s+/).filter(Boolean);
    if (pids.length) spawnSync("kill", ["-9", ...pids]);
    spawnSync("ip", ["netns", "del", ns]);
  }
  if (s?.dir) rmSync(s.dir, { recursive: true, force: true });
  const stackFile = join(ctx.projectDir, `Pulumi.${SANDBOX_STACK}.yaml`);
  const state = join(ctx.projectDir, DEFAULT_STATE_DIR);
  for (const f of [join(state, ".pulumi", "stacks", PROJECT, `${SANDBOX_STACK}.json`), join(state, ".pulumi", "stacks", PROJECT, `${SANDBOX_STACK}.json.bak`)]) rmSync(f, { force: true });
  for (const d of ["access", "runs", "audit"]) rmSync(join(state, ".prow-ops", d, SANDBOX_STACK), { recursive: true, force: true });
  rmSync(join(state, ".prow-ops", "locks", `${SANDBOX_STACK}.json`), { force: true });
  rmSync(join(state, ".pulumi", "locks", "organization", PROJECT, SANDBOX_STACK), { recursive: true, force: true });
  rmSync(join(state, ".pulumi", "history", PROJECT, SANDBOX_STACK), { recursive: true, force: true });
  rmSync(stackFile, { force: true });
  const runtime = runtimeDir(SANDBOX_STACK);
  rmSync(runtime, { recursive: true, force: true });
  if (!readdirSync(dirname(runtime)).length) rmSync(dirname(runtime), { recursive: true, force: true });
  rmSync(home(), { recursive: true, force: true });
  ctx.reporter.result({ down: true }, s ? "sandbox down: its hosts, processes, temporary folders and the sandbox stack are gone" : "no sandbox was up; leftovers (if any) removed");
}

/** `prow-ops sandbox openstack ...`: the local cloud's openstack CLI (also on the PATH of `sandbox run`). */
export function sandboxOpenstack(args: string[]): number {
  const s = readState();
  if (!s?.ready || !processAlive(s.pid)) throw new RefusedError("no sandbox is up: prow-ops sandbox up starts one");
  const res = openstackCall(args, { catalog: imageCatalog(), operatorNamespace: s.operatorNamespace, managementKubeconfig: s.kubeconfigs.management, namespace: s.cluster.namespace });
  process.stdout.write(res.out);
  process.stderr.write(res.err);
  return res.code;
}
