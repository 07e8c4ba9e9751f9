/**
 * A local cloud of real hosts for the access tests, without Docker: network namespaces joined
 * by veth pairs, addresses from the documentation ranges only.
 *
 *   operator 203.0.113.10 ── router ── public 198.51.100.0/24 ── bastion (floating IP, real sshd)
 *                                                             └─ API load balancer VIP 198.51.100.5
 *   cluster network 192.0.2.0/24 (a switch nothing routes to): bastion 192.0.2.20,
 *   load balancer 192.0.2.5, the workload API server 192.0.2.100
 *
 * Like Octavia, the load balancer proxies the VIP's port 6443 to its member (DNAT + SNAT) and
 * admits only its listener's allowed sources (an nftables set); like a tenant network, the
 * cluster network is reachable from outside only through the load balancer and the bastion.
 * Everything made here is removed by destroy(), also after a failed start.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createConnection, createServer, type Server } from "node:net";
import { freeLocalPort } from "../access/tunnel";
import { randomBytes } from "node:crypto";
import { chmodSync, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ADDRESSES = {
  operator: "203.0.113.10",
  internetGateway: "203.0.113.1",
  publicGateway: "198.51.100.1",
  vip: "198.51.100.5",
  lbInternal: "192.0.2.5",
  bastionInternal: "192.0.2.20",
  apiServer: "192.0.2.100",
  clusterCidr: "192.0.2.0/24",
} as const;

export const API_PORT = 6443;
const ROLES = ["operator", "router", "bastion", "lb", "cluster"] as const;
export type Role = (typeof ROLES)[number];

export interface Bastion {
  floatingIP: string;
  /** The host key's public line (`ssh-ed25519 AAAA…`), new for every bastion. */
  hostKey: string;
  stop(): Promise<void>;
}

export interface LocalCloud {
  dir: string;
  ns: Record<Role, string>;
  /** argv run inside a host's namespace; throws with stderr on failure unless allowed. */
  exec(role: Role, argv: string[], o?: { input?: string; allowFail?: boolean; timeoutMs?: number }): { code: number; stdout: string; stderr: string };
  /** A long-running process inside a host's namespace (killed by destroy). */
  spawn(role: Role, argv: string[], logName: string, env?: NodeJS.ProcessEnv): ChildProcess;
  /** The load balancer listener's allowed sources (what CAPO programs into Octavia). */
  setAllowedSources(cidrs: string[]): void;
  allowedSources(): string[];
  /** A new bastion: its floating IP on the public network, a fresh host key, a real sshd. */
  startBastion(floatingIP: string): Promise<Bastion>;
  /** The operator's key pair (authorized on every bastion). */
  operatorKey: string;
  /** Whether a TCP connection from `role` to host:port is accepted within the timeout. */
  canConnect(role: Role, host: string, port: number, timeoutS?: number): boolean;
  /**
   * host:port as seen from `role`, reachable from this process at 127.0.0.1:<returned port>
   * (a unix socket crosses the namespaces): how a controller inside the cluster reaches its API.
   */
  expose(role: Role, host: string, port: number): Promise<number>;
  /** Answers "what is my address" (the caller's source address, as text) like api.ipify.org. */
  whatIsMyIpUrl: string;
  destroy(): Promise<void>;
}

function run(argv: string[], o: { input?: string; allowFail?: boolean; timeoutMs?: number } = {}): { code: number; stdout: string; stderr: string } {
  const res = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", input: o.input, timeout: o.timeoutMs ?? 30_000 });
  const out = { code: res.status ?? -1, stdout: res.stdout ?? "", stderr: res.stderr ?? String(res.error ?? "") };
  if (out.code !== 0 && !o.allowFail) throw new Error(`${argv.join(" ")} failed (${out.code}): ${out.stderr}`);
  return out;
}

/** Root, iproute2, nftables and sshd: what the local cloud needs (npm run testbed:setup installs the packages). */
export function localCloudMissing(): string | undefined {
  if (process.getuid?.() !== 0) return "root (network namespaces)";
  for (const bin of ["/usr/sbin/sshd", "/usr/sbin/nft", "/usr/bin/ssh", "/usr/bin/ssh-keygen"]) if (run(["test", "-x", bin], { allowFail: true }).code !== 0) return bin;
  if (run(["ip", "-V"], { allowFail: true }).code !== 0) return "ip (iproute2)";
  return undefined;
}

export async function startLocalCloud(): Promise<LocalCloud> {
  const missing = localCloudMissing();
  if (missing) throw new Error(`the local cloud needs ${missing}: run \`npm run testbed:setup\` as root`);
  const id = randomBytes(3).toString("hex");
  const ns = Object.fromEntries(ROLES.map((r) => [r, `po-${id}-${r}`])) as Record<Role, string>;
  const dir = mkdtempSync(join(tmpdir(), `prow-ops-cloud-${id}-`));
  const procs: ChildProcess[] = [];
  const servers: Server[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const exec: LocalCloud["exec"] = (role, argv, o) => run(["ip", "netns", "exec", ns[role], ...argv], o);
  const ip = (role: Role, args: string) => exec(role, ["ip", ...args.split(" ")]);
  /** A cable: one end in each namespace, named there (names are per namespace). */
  const cable = (a: Role, aName: string, b: Role, bName: string) => run(["ip", "link", "add", aName, "netns", ns[a], "type", "veth", "peer", "name", bName, "netns", ns[b]]);
  const up = (role: Role, dev: string) => ip(role, `link set ${dev} up`);

  const destroy = async () => {
    for (const srv of servers) srv.close();
    for (const socket of sockets) socket.destroy();
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once("exit", r)) : undefined)));
    for (const role of ROLES) {
      // Anything still running in a namespace (an ssh a test started) goes with it.
      const pids = run(["ip", "netns", "pids", ns[role]], { allowFail: true }).stdout.split(/\s+/).filter(Boolean);
      if (pids.length) run(["kill", "-9", ...pids], { allowFail: true });
      run(["ip", "netns", "del", ns[role]], { allowFail: true });
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const spawnIn: LocalCloud["spawn"] = (role, argv, logName, env) => {
    const log = createWriteStream(join(dir, `${logName}.log`));
    const child = spawn("ip", ["netns", "exec", ns[role], ...argv], { stdio: ["ignore", "pipe", "pipe"], env: env ?? process.env });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    procs.push(child);
    return child;
  };

  try {
    for (const role of ROLES) {
      run(["ip", "netns", "add", ns[role]]);
      up(role, "lo");
    }
    // The internet: the operator behind the router.
    cable("operator", "eth0", "router", "inet0");
    ip("operator", `addr add ${ADDRESSES.operator}/24 dev eth0`);
    ip("router", `addr add ${ADDRESSES.internetGateway}/24 dev inet0`);
    // The public (floating IP) network: a bridge in the router.
    ip("router", "link add brpub type bridge");
    ip("router", `addr add ${ADDRESSES.publicGateway}/24 dev brpub`);
    // The cluster network: a bridge the router holds no address on, so nothing routes into it.
    ip("router", "link add brint type bridge");
    for (const host of ["bastion", "lb"] as const) {
      cable(host, "pub0", "router", `pub-${host}`);
      cable(host, "int0", "router", `int-${host}`);
      ip("router", `link set pub-${host} master brpub`);
      ip("router", `link set int-${host} master brint`);
      for (const dev of [`pub-${host}`, `int-${host}`]) up("router", dev);
    }
    cable("cluster", "eth0", "router", "int-cluster");
    ip("router", "link set int-cluster master brint");
    for (const dev of ["inet0", "brpub", "brint", "int-cluster"]) up("router", dev);
    exec("router", ["sysctl", "-qw", "net.ipv4.ip_forward=1"]);

    ip("bastion", `addr add ${ADDRESSES.bastionInternal}/24 dev int0`);
    ip("lb", `addr add ${ADDRESSES.vip}/24 dev pub0`);
    ip("lb", `addr add ${ADDRESSES.lbInternal}/24 dev int0`);
    ip("cluster", `addr add ${ADDRESSES.apiServer}/24 dev eth0`);
    for (const [role, devs] of [["operator", ["eth0"]], ["bastion", ["pub0", "int0"]], ["lb", ["pub0", "int0"]], ["cluster", ["eth0"]]] as const) for (const dev of devs) up(role, dev);
    ip("operator", `route add default via ${ADDRESSES.internetGateway}`);
    ip("lb", `route add default via ${ADDRESSES.publicGateway}`);

    // The load balancer: the VIP's 6443 to the member for allowed sources only; anything else
    // is dropped (a client outside allowedCIDRs sees a timeout, as with Octavia).
    exec("lb", ["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    exec("lb", ["nft", "-f", "-"], {
      input: `table ip lb {
  set allowed { type ipv4_addr; flags interval; }
  chain prerouting { type nat hook prerouting priority -100; ip daddr ${ADDRESSES.vip} tcp dport ${API_PORT} ip saddr @allowed dnat to ${ADDRESSES.apiServer}:${API_PORT}; }
  chain postrouting { type nat hook postrouting priority 100; oifname "int0" masquerade; }
  chain input { type filter hook input priority 0; tcp dport ${API_PORT} drop; }
}
`,
    });

    // "What is my IP": the router answers each caller with its source address, as a public service does.
    spawnIn("router", [process.execPath, "-e", `require("node:http").createServer((q, r) => r.end(q.socket.remoteAddress.replace(/^::ffff:/, "") + "\\n")).listen(8080, ${JSON.stringify(ADDRESSES.internetGateway)});`], "what-is-my-ip");

    const operatorKey = join(dir, "operator_ed25519");
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "operator@local-cloud", "-f", operatorKey]);
    writeFileSync(join(dir, "authorized_keys"), readFileSync(`${operatorKey}.pub`));
    chmodSync(join(dir, "authorized_keys"), 0o600);

    let bastions = 0;
    const cloud: LocalCloud = {
      dir,
      ns,
      exec,
      spawn: spawnIn,
      operatorKey,
      setAllowedSources: (cidrs) => {
        exec("lb", ["nft", "-f", "-"], { input: `flush set ip lb allowed\n${cidrs.length ? `add element ip lb allowed { ${cidrs.join(", ")} }\n` : ""}` });
      },
      allowedSources: () => {
        const out = exec("lb", ["nft", "-j", "list", "set", "ip", "lb", "allowed"]).stdout;
        const set = (JSON.parse(out).nftables as Array<{ set?: { elem?: unknown[] } }>).find((e) => e.set)?.set;
        return (set?.elem ?? []).map((e) => (typeof e === "string" ? `${e}/32` : `${(e as { prefix: { addr: string; len: number } }).prefix.addr}/${(e as { prefix: { addr: string; len: number } }).prefix.len}`));
      },
      startBastion: async (floatingIP) => {
        const n = ++bastions;
        const home = mkdtempSync(join(dir, `bastion-${n}-`));
        const hostKey = join(home, "ssh_host_ed25519_key");
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
        writeFileSync(
          join(home, "sshd_config"),
          [
            `ListenAddress ${floatingIP}:22`,
            `HostKey ${hostKey}`,
            `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
            `PidFile ${join(home, "sshd.pid")}`,
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "AllowTcpForwarding yes",
            "UsePAM no",
            // The keys sit in a private folder under /tmp, which StrictModes would refuse.
            "StrictModes no",
            "",
          ].join("\n"),
        );
        ip("bastion", `addr add ${floatingIP}/24 dev pub0`);
        // The kernel drops the default route with a device's last address (a stopped bastion).
        ip("bastion", `route replace default via ${ADDRESSES.publicGateway} dev pub0 onlink`);
        run(["mkdir", "-p", "/run/sshd"]);
        const sshd = spawnIn("bastion", ["/usr/sbin/sshd", "-D", "-e", "-f", join(home, "sshd_config")], `sshd-${n}`);
        const deadline = Date.now() + 10_000;
        while (!cloud.canConnect("bastion", floatingIP, 22, 1)) {
          if (sshd.exitCode !== null || Date.now() > deadline) throw new Error(`sshd of bastion ${n} did not start (see ${join(dir, `sshd-${n}.log`)})`);
          await new Promise((r) => setTimeout(r, 100));
        }
        return {
          floatingIP,
          hostKey: readFileSync(`${hostKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" "),
          stop: async () => {
            if (sshd.exitCode === null && sshd.signalCode === null) {
              sshd.kill("SIGTERM");
              await new Promise((r) => sshd.once("exit", r));
            }
            ip("bastion", `addr del ${floatingIP}/24 dev pub0`);
          },
        };
      },
      whatIsMyIpUrl: `http://${ADDRESSES.internetGateway}:8080/`,
      expose: async (role, host, port) => {
        const socket = join(dir, `expose-${role}-${host}-${port}.sock`);
        spawnIn(role, [process.execPath, "-e", `require("node:net").createServer((c) => { const u = require("node:net").connect(${port}, ${JSON.stringify(host)}); c.pipe(u).pipe(c); const both = () => { c.destroy(); u.destroy(); }; for (const s of [c, u]) { s.once("close", both); s.on("error", both); } }).listen(${JSON.stringify(socket)});`], `expose-${role}-${port}`);
        const deadline = Date.now() + 10_000;
        while (run(["test", "-S", socket], { allowFail: true }).code !== 0) {
          if (Date.now() > deadline) throw new Error(`the bridge to ${host}:${port} in ${role} did not start`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const local = await freeLocalPort();
        const srv = createServer((c) => {
          const u = createConnection(socket);
          // Either side gone, both go: piping alone left one socket open per connection that ended (a leak per API request).
          const both = () => {
            c.destroy();
            u.destroy();
          };
          for (const sock of [c, u]) {
            sockets.add(sock);
            sock.once("close", () => {
              sockets.delete(sock);
              both();
            });
            sock.on("error", both);
          }
          c.pipe(u).pipe(c);
        });
        servers.push(srv);
        await new Promise<void>((r) => srv.listen(local, "127.0.0.1", () => r()));
        return local;
      },
      canConnect: (role, host, port, timeoutS = 2) => exec(role, ["timeout", String(timeoutS), "bash", "-c", `exec 3<>/dev/tcp/${host}/${port}`], { allowFail: true }).code === 0,
      destroy,
    };
    return cloud;
  } catch (err) {
    await destroy();
    throw err;
  }
}
