/**
 * A local Kubernetes control plane for tests: etcd + kube-apiserver (+ kube-controller-manager
 * when built, so namespaces finalize and garbage collection runs) on 127.0.0.1 with free
 * ports and temp dirs. No kind, no Docker. Several can run at once.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeLocalPort } from "../access/tunnel";
import { sandboxTool as tool, TOOLS_BIN } from "./tools";

export interface ControlPlane {
  name: string;
  server: string;
  kubeconfig: string;
  kubeconfigPath: string;
  dir: string;
  kubectl(args: string[], input?: string): string;
  stop(): Promise<void>;
}

export const freePort = freeLocalPort;

async function waitFor(check: () => boolean, what: string, timeoutMs = 60000, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Where a control plane runs: on 127.0.0.1 (default), or inside a network namespace at an address, with a CA-signed serving certificate. */
export interface Placement {
  netns: string;
  address: string;
  port: number;
  /** Extra IP addresses the serving certificate is valid for (a load balancer's VIP). */
  sans: string[];
}

const inNetns = (placement: Placement | undefined, argv: string[]) => (placement ? ["ip", "netns", "exec", placement.netns, ...argv] : argv);

/** A CA and a serving certificate (`<name>.crt`, `<name>.key`) valid for the given IP addresses (openssl). */
export function servingCertificate(dir: string, name: string, ips: string[]): { ca: string; cert: string; key: string } {
  const f = (n: string) => join(dir, n);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const openssl = (args: string[]) => {
    const res = spawnSync("openssl", args, { encoding: "utf8" });
    if (res.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${res.stderr}`);
  };
  openssl(["req", "-x509", ...ec, "-keyout", f(`${name}-ca.key`), "-out", f(`${name}-ca.crt`), "-days", "2", "-subj", `/CN=${name}-ca`]);
  openssl(["req", ...ec, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`), "-subj", `/CN=${name}`]);
  writeFileSync(f(`${name}-san.ext`), `subjectAltName=${ips.map((a) => `IP:${a}`).join(",")},DNS:kubernetes\n`);
  openssl(["x509", "-req", "-in", f(`${name}.csr`), "-CA", f(`${name}-ca.crt`), "-CAkey", f(`${name}-ca.key`), "-CAcreateserial", "-out", f(`${name}.crt`), "-days", "2", "-extfile", f(`${name}-san.ext`)]);
  return { ca: f(`${name}-ca.crt`), cert: f(`${name}.crt`), key: f(`${name}.key`) };
}

export function launch(argv: string[], logFile: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const log = createWriteStream(logFile);
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopProcess(p: ChildProcess, graceMs: number): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill("SIGTERM");
  await new Promise((r) => {
    const t = setTimeout(() => {
      p.kill("SIGKILL");
      r(undefined);
    }, graceMs);
    p.once("exit", () => {
      clearTimeout(t);
      r(undefined);
    });
  });
}

const TOKEN = "prow-ops-test-admin-token";

/** The controllers every control plane runs: namespaces finalized, garbage collected, PVCs released. */
const BASE_CONTROLLERS = ["namespace", "garbagecollector", "serviceaccount-token", "pvc-protection"];

export async function startControlPlane(name: string, placement?: Placement, o: { controllers?: string[] } = {}): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), `prow-ops-${name}-`));
  const [etcdClient, etcdPeer, freeApiPort, cmPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const apiPort = placement?.port ?? freeApiPort;
  const address = placement?.address ?? "127.0.0.1";
  const procs: ChildProcess[] = [];
  const stop = async () => {
    for (const p of procs.reverse()) await stopProcess(p, 5000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    procs.push(
      launch(
        inNetns(placement, [
          tool("etcd"),
          `--name=${name}`,
          `--data-dir=${join(dir, "etcd")}`,
          `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
          `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-cluster=${name}=http://127.0.0.1:${etcdPeer}`,
          "--log-level=warn",
        ]),
        join(dir, "etcd.log"),
      ),
    );
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    writeFileSync(join(dir, "tokens.csv"), `${TOKEN},admin,admin,system:masters\n`);
    mkdirSync(join(dir, "certs"));
    const tls = placement ? servingCertificate(dir, "apiserver", [placement.address, ...placement.sans]) : undefined;
    procs.push(
      launch(
        inNetns(placement, [
          tool("kube-apiserver"),
          `--etcd-servers=http://127.0.0.1:${etcdClient}`,
          `--bind-address=${address}`,
          `--advertise-address=${address}`,
          `--secure-port=${apiPort}`,
          `--cert-dir=${join(dir, "certs")}`,
          ...(tls ? [`--tls-cert-file=${tls.cert}`, `--tls-private-key-file=${tls.key}`] : []),
          `--token-auth-file=${join(dir, "tokens.csv")}`,
          "--authorization-mode=RBAC",
          `--service-account-key-file=${join(dir, "sa.pub")}`,
          `--service-account-signing-key-file=${join(dir, "sa.key")}`,
          "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
          "--service-cluster-ip-range=10.96.0.0/16",
          "--allow-privileged=true",
          "--enable-priority-and-fairness=false",
          // Webhook and aggregated-API calls go to endpoints, not to ClusterIPs nothing routes
          // here: with no server running they fail at once instead of timing out.
          "--enable-aggregator-routing=true",
          "--v=0",
        ]),
        join(dir, "apiserver.log"),
      ),
    );
    const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster:
    server: https://${address}:${apiPort}
${tls ? `    certificate-authority: ${tls.ca}` : "    insecure-skip-tls-verify: true"}
users:
- name: admin
  user:
    token: ${TOKEN}
contexts:
- name: ${name}
  context:
    cluster: ${name}
    user: admin
current-context: ${name}
`;
    const kubeconfigPath = join(dir, "kubeconfig");
    writeFileSync(kubeconfigPath, kubeconfig);
    const kubectl = (args: string[], input?: string): string => {
      const argv = inNetns(placement, [tool("kubectl"), `--kubeconfig=${kubeconfigPath}`, ...args]);
      const res = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", input, maxBuffer: 256 * 1024 * 1024 });
      if (res.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${res.stderr}`);
      return res.stdout;
    };
    const readyArgv = inNetns(placement, [tool("kubectl"), `--kubeconfig=${kubeconfigPath}`, "get", "--raw=/readyz"]);
    const ready = () => spawnSync(readyArgv[0], readyArgv.slice(1), { encoding: "utf8" }).stdout?.trim() === "ok";
    await waitFor(ready, `${name} kube-apiserver /readyz (see ${dir}/apiserver.log)`);

    // The controller manager finalizes namespaces, collects garbage and releases deleted PVCs
    // (pvc-protection), so a destroy leaves nothing and never waits forever.
    if (existsSync(join(TOOLS_BIN, "kube-controller-manager"))) {
      procs.push(
        launch(
          inNetns(placement, [
            tool("kube-controller-manager"),
            `--kubeconfig=${kubeconfigPath}`,
            `--authentication-kubeconfig=${kubeconfigPath}`,
            `--authorization-kubeconfig=${kubeconfigPath}`,
            "--bind-address=127.0.0.1",
            `--secure-port=${cmPort}`,
            `--cert-dir=${join(dir, "cm-certs")}`,
            `--controllers=${[...BASE_CONTROLLERS, ...(o.controllers ?? [])].join(",")}`,
            `--service-account-private-key-file=${join(dir, "sa.key")}`,
            "--use-service-account-credentials=false",
            "--leader-elect=false",
          ]),
          join(dir, "controller-manager.log"),
        ),
      );
    }
    return { name, server: `https://${address}:${apiPort}`, kubeconfig, kubeconfigPath, dir, kubectl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
