/**
 * The path to the workload API through the bastion: `ssh -N -L 127.0.0.1:<port>:<API>:6443`
 * (a plain local port: kubectl, @kubernetes/client-node and the Pulumi kubernetes provider,
 * which ignores proxy-url, all use it) and a kubeconfig whose server is that port and whose
 * tls-server-name keeps the API server's certificate verified. The ssh process is started
 * under `setpriv --pdeathsig SIGKILL`: the kernel kills it when the CLI dies, even by kill -9,
 * so no tunnel outlives the command that opened it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { connect as tcpConnect, createServer } from "node:net";
import { load } from "js-yaml";
import { ProwOpsError } from "../../../stacks/core/errors";

export interface TunnelOptions {
  bastionIP: string;
  user: string;
  /** known_hosts file holding the bastion's pinned host key (StrictHostKeyChecking=yes). */
  knownHosts: string;
  identityFile?: string;
  /** Where the bastion connects: the API load balancer's address and port. */
  target: { host: string; port: number };
  localPort?: number;
  timeoutMs?: number;
  /** Runs ssh through another launcher (the local cloud's namespaces in tests). */
  wrap?: (argv: string[]) => string[];
}

export interface Tunnel {
  localPort: number;
  process: ChildProcess;
  close(): Promise<void>;
}

export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });

export async function openTunnel(o: TunnelOptions): Promise<Tunnel> {
  const localPort = o.localPort ?? (await freeLocalPort());
  const ssh = [
    "ssh",
    "-N",
    "-L",
    `127.0.0.1:${localPort}:${o.target.host}:${o.target.port}`,
    "-o",
    "ExitOnForwardFailure=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${o.knownHosts}`,
    "-o",
    "ServerAliveInterval=15",
    ...(o.identityFile ? ["-i", o.identityFile, "-o", "IdentitiesOnly=yes"] : []),
    `${o.user}@${o.bastionIP}`,
  ];
  const argv = ["setpriv", "--pdeathsig", "SIGKILL", "--", ...(o.wrap ? o.wrap(ssh) : ssh)];
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr = (stderr + d).slice(-2000);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + (o.timeoutMs ?? 15_000);
  while (!(await accepts(localPort))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw tunnelError(o, stderr);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    localPort,
    process: child,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

function tunnelError(o: TunnelOptions, stderr: string): ProwOpsError {
  const where = `${o.user}@${o.bastionIP}`;
  if (/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/.test(stderr)) {
    return new ProwOpsError(
      "HOSTKEY",
      `the bastion ${o.bastionIP} presented a host key that is not the one pinned in ${o.knownHosts}. After a bastion swap, \`prow-ops bastion swap\` pins the new key; anything else may be a machine in the middle: do not connect until you know why it changed.`,
    );
  }
  if (/Permission denied/.test(stderr)) return new ProwOpsError("SSH", `ssh ${where} refused the key: load the maintainers' key into ssh-agent or set the bastion identity file in the stack config.`);
  return new ProwOpsError("SSH", `no tunnel through the bastion ${where} to ${o.target.host}:${o.target.port}: ${stderr.trim().split("\n").pop() ?? "ssh gave no reason"}`);
}

/**
 * The workload kubeconfig pointed at the tunnel: server https://127.0.0.1:<port>, and
 * tls-server-name the host of the original server, so the certificate is still verified
 * (never insecure-skip-tls-verify).
 */
export function kubeconfigThroughTunnel(kubeconfig: string, localPort: number): string {
  const doc = load(kubeconfig) as { clusters?: Array<{ cluster: Record<string, unknown> }> };
  for (const c of doc.clusters ?? []) {
    const server = new URL(String(c.cluster.server));
    if (c.cluster["insecure-skip-tls-verify"]) throw new ProwOpsError("KUBECONFIG", "the workload kubeconfig skips TLS verification: prow-ops will not use it through the bastion");
    c.cluster["tls-server-name"] = c.cluster["tls-server-name"] ?? server.hostname;
    c.cluster.server = `https://127.0.0.1:${localPort}`;
  }
  return JSON.stringify(doc, null, 2);
}
