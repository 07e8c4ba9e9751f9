/**
 * A local Kubernetes control plane for tests: etcd + kube-apiserver (+ kube-controller-manager
 * when built, so namespaces finalize and garbage collection runs) on 127.0.0.1 with free
 * ports and temp dirs. No kind, no Docker. Several can run at once.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TOOLS_BIN, tool } from "./tools";

export interface ControlPlane {
  name: string;
  server: string;
  kubeconfig: string;
  kubeconfigPath: string;
  dir: string;
  kubectl(args: string[], input?: string): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 60000, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function launch(cmd: string, args: string[], logFile: string): ChildProcess {
  const log = createWriteStream(logFile);
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

const TOKEN = "prow-ops-test-admin-token";

export async function startControlPlane(name: string): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), `prow-ops-${name}-`));
  const [etcdClient, etcdPeer, apiPort, cmPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const procs: ChildProcess[] = [];
  const stop = async () => {
    for (const p of procs.reverse()) {
      if (p.exitCode === null) {
        p.kill("SIGTERM");
        await new Promise((r) => {
          const t = setTimeout(() => {
            p.kill("SIGKILL");
            r(undefined);
          }, 5000);
          p.once("exit", () => {
            clearTimeout(t);
            r(undefined);
          });
        });
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    procs.push(
      launch(
        tool("etcd"),
        [
          `--name=${name}`,
          `--data-dir=${join(dir, "etcd")}`,
          `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
          `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
          `--initial-cluster=${name}=http://127.0.0.1:${etcdPeer}`,
          "--log-level=warn",
        ],
        join(dir, "etcd.log"),
      ),
    );
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    writeFileSync(join(dir, "tokens.csv"), `${TOKEN},admin,admin,system:masters\n`);
    mkdirSync(join(dir, "certs"));
    procs.push(
      launch(
        tool("kube-apiserver"),
        [
          `--etcd-servers=http://127.0.0.1:${etcdClient}`,
          "--bind-address=127.0.0.1",
          "--advertise-address=127.0.0.1",
          `--secure-port=${apiPort}`,
          `--cert-dir=${join(dir, "certs")}`,
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
        ],
        join(dir, "apiserver.log"),
      ),
    );
    const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster:
    server: https://127.0.0.1:${apiPort}
    insecure-skip-tls-verify: true
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
      const res = spawnSync(tool("kubectl"), [`--kubeconfig=${kubeconfigPath}`, ...args], { encoding: "utf8", input, maxBuffer: 256 * 1024 * 1024 });
      if (res.status !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${res.stderr}`);
      return res.stdout;
    };
    const ready = () => spawnSync(tool("kubectl"), [`--kubeconfig=${kubeconfigPath}`, "get", "--raw=/readyz"], { encoding: "utf8" }).stdout?.trim() === "ok";
    await waitFor(ready, `${name} kube-apiserver /readyz (see ${dir}/apiserver.log)`);

    // The controller manager finalizes namespaces, collects garbage and releases deleted PVCs
    // (pvc-protection), so a destroy leaves nothing and never waits forever.
    if (existsSync(join(TOOLS_BIN, "kube-controller-manager"))) {
      procs.push(
        launch(
          tool("kube-controller-manager"),
          [
            `--kubeconfig=${kubeconfigPath}`,
            `--authentication-kubeconfig=${kubeconfigPath}`,
            `--authorization-kubeconfig=${kubeconfigPath}`,
            "--bind-address=127.0.0.1",
            `--secure-port=${cmPort}`,
            `--cert-dir=${join(dir, "cm-certs")}`,
            "--controllers=namespace,garbagecollector,serviceaccount-token,pvc-protection",
            `--service-account-private-key-file=${join(dir, "sa.key")}`,
            "--use-service-account-credentials=false",
            "--leader-elect=false",
          ],
          join(dir, "controller-manager.log"),
        ),
      );
    }
    return { name, server: `https://127.0.0.1:${apiPort}`, kubeconfig, kubeconfigPath, dir, kubectl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
