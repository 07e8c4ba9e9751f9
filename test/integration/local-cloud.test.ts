/**
 * The local cloud the access tests stand on: real hosts in network namespaces, a real sshd on
 * the bastion, the API load balancer's allowed sources as real nftables rules, and a real
 * kube-apiserver on the cluster network. What is cut off here is cut off for real.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ControlPlane, startControlPlane } from "./helpers/control-plane";
import { ADDRESSES, API_PORT, type LocalCloud, startLocalCloud } from "./helpers/local-cloud";
import { tool } from "./helpers/tools";

describe("the local cloud", () => {
  let cloud: LocalCloud;
  let api: ControlPlane;
  let namespaces: string[];

  beforeAll(async () => {
    cloud = await startLocalCloud();
    namespaces = Object.values(cloud.ns);
    api = await startControlPlane("cloud-workload", { netns: cloud.ns.cluster, address: ADDRESSES.apiServer, port: API_PORT, sans: [ADDRESSES.vip] });
  });
  afterAll(async () => {
    await api?.stop();
    await cloud?.destroy();
  });

  /** kubectl on the operator host against `server`, verifying the API server's certificate. */
  const kubectlFromOperator = (server: string, tlsServerName?: string) => {
    const kubeconfig = api.kubeconfig
      .replace(/server: .*/, `server: ${server}`)
      .replace(/(certificate-authority: .*)/, `$1${tlsServerName ? `\n    tls-server-name: ${tlsServerName}` : ""}`);
    const path = join(cloud.dir, `kubeconfig-${Buffer.from(server).toString("hex").slice(0, 12)}`);
    writeFileSync(path, kubeconfig);
    return cloud.exec("operator", [tool("kubectl"), `--kubeconfig=${path}`, "--request-timeout=3s", "get", "namespace", "default", "-o", "name"], { allowFail: true, timeoutMs: 10_000 });
  };

  test("GIVEN the operator's address not among the listener's allowed sources THEN the API is unreachable; once allowed, kubectl verifies the certificate and answers", () => {
    expect(api.kubeconfig).not.toContain("insecure-skip-tls-verify");
    cloud.setAllowedSources([ADDRESSES.clusterCidr]);
    expect(kubectlFromOperator(`https://${ADDRESSES.vip}:${API_PORT}`).code).not.toBe(0);
    // Nothing routes from the internet into the cluster network.
    expect(cloud.canConnect("operator", ADDRESSES.apiServer, API_PORT, 2)).toBe(false);

    cloud.setAllowedSources([ADDRESSES.clusterCidr, `${ADDRESSES.operator}/32`]);
    expect(cloud.allowedSources().sort()).toEqual([ADDRESSES.clusterCidr, `${ADDRESSES.operator}/32`].sort());
    const res = kubectlFromOperator(`https://${ADDRESSES.vip}:${API_PORT}`);
    expect(res).toMatchObject({ code: 0, stdout: "namespace/default\n" });
  });

  test("GIVEN a bastion whose floating IP is allowed THEN an ssh -L tunnel through the real sshd reaches the API, the certificate verified by tls-server-name", async () => {
    cloud.setAllowedSources([ADDRESSES.clusterCidr]);
    const bastion = await cloud.startBastion("198.51.100.20");
    cloud.setAllowedSources([ADDRESSES.clusterCidr, `${bastion.floatingIP}/32`]);
    const knownHosts = join(cloud.dir, "known_hosts");
    writeFileSync(knownHosts, `${bastion.floatingIP} ${bastion.hostKey}\n`);
    const ssh = (port: number) =>
      cloud.spawn(
        "operator",
        ["ssh", "-i", cloud.operatorKey, "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-N", "-L", `127.0.0.1:${port}:${ADDRESSES.vip}:${API_PORT}`, `root@${bastion.floatingIP}`],
        `ssh-${port}`,
      );
    const tunnel = ssh(16443);
    const deadline = Date.now() + 10_000;
    while (!cloud.canConnect("operator", "127.0.0.1", 16443, 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(kubectlFromOperator("https://127.0.0.1:16443", ADDRESSES.vip)).toMatchObject({ code: 0, stdout: "namespace/default\n" });
    // Without tls-server-name the certificate (issued for the VIP, not for the tunnel's end) is refused.
    expect(kubectlFromOperator("https://127.0.0.1:16443").stderr).toMatch(/certificate/);
    tunnel.kill("SIGTERM");

    // A new bastion has a new host key: the pinned one refuses it.
    await bastion.stop();
    const next = await cloud.startBastion("198.51.100.21");
    expect(next.hostKey).not.toBe(bastion.hostKey);
    writeFileSync(knownHosts, `${next.floatingIP} ${bastion.hostKey}\n`);
    const refused = cloud.exec("operator", ["ssh", "-i", cloud.operatorKey, "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", `root@${next.floatingIP}`, "true"], { allowFail: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    await next.stop();
  });

  test("GIVEN the bastion gone and its address no longer allowed THEN the operator has no path at all", async () => {
    cloud.setAllowedSources([ADDRESSES.clusterCidr]);
    expect(cloud.canConnect("operator", "198.51.100.20", 22, 2)).toBe(false);
    expect(cloud.canConnect("operator", ADDRESSES.vip, API_PORT, 2)).toBe(false);
  });

  test("WHEN destroyed THEN no namespace and no process of it is left", async () => {
    await api.stop();
    await cloud.destroy();
    const { execFileSync } = await import("node:child_process");
    const left = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
    for (const ns of namespaces) expect(left).not.toContain(ns);
    const procs = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(procs).not.toContain(cloud.dir);
  });
});
