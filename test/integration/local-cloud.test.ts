/**
 * The local cloud the access tests stand on: real hosts in network namespaces, a real sshd on
 * the bastion, the API load balancer's allowed sources as real nftables rules, and a real
 * kube-apiserver on the cluster network. What is cut off here is cut off for real.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ControlPlane, startControlPlane } from "../../cli/lib/sandbox/control-plane";
import { connect } from "../../stacks/core/kube-client";
import { type Simulator, startCapoSimulator } from "../../cli/lib/sandbox/capo-simulator";
import { ADDRESSES, API_PORT, type LocalCloud, startLocalCloud } from "../../cli/lib/sandbox/local-cloud";
import { capiCrdFiles, installCrds } from "./helpers/testbed";
import { tool } from "./helpers/tools";
import { PROJECT_ROOT } from "../helpers/config";

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

  describe("with the CAPO simulator reconciling an OpenStackCluster", () => {
    let management: ControlPlane;
    let sim: Simulator;
    const osc = (spec: Record<string, unknown>) =>
      JSON.stringify({ apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "OpenStackCluster", metadata: { name: "prow", namespace: "default" }, spec });
    const spec = (allowed: string[], bastion: { enabled: boolean; image: string }) => ({
      identityRef: { name: "prow-cloud-config", cloudName: "openstack" },
      apiServerLoadBalancer: { enabled: true, allowedCIDRs: allowed },
      bastion: { enabled: bastion.enabled, spec: { flavor: "c1m2", image: { filter: { name: bastion.image } }, sshKeyName: "metal3ci" } },
    });
    const applySpec = (s: Record<string, unknown>) => management.kubectl(["apply", "--server-side", "--field-manager=operator", "-f", "-"], osc(s));

    beforeAll(async () => {
      management = await startControlPlane("cloud-management");
      installCrds(management, capiCrdFiles());
      sim = await startCapoSimulator({ cloud, management: await connect({ kubeconfig: management.kubeconfigPath }), namespace: "default", name: "prow", floatingIPs: ["198.51.100.30", "198.51.100.31"], delayMs: 1000 });
    });
    afterAll(async () => {
      await sim?.stop();
      await management?.stop();
    });

    test("GIVEN an OpenStackCluster with a bastion THEN a real sshd answers at status.bastion.floatingIP, and the listener admits the bastion and the cluster network only", async () => {
      applySpec(spec([ADDRESSES.clusterCidr], { enabled: true, image: "Ubuntu-22.04-jammy" }));
      const status = await sim.settled((s) => Boolean(s.bastion));
      expect(status.bastion?.floatingIP).toBe("198.51.100.30");
      expect(JSON.parse(management.kubectl(["get", "openstackcluster", "prow", "-o", "jsonpath={.status}"]))).toMatchObject({
        bastion: { floatingIP: "198.51.100.30" },
        apiServerLoadBalancer: { allowedCIDRs: [ADDRESSES.clusterCidr, "198.51.100.30/32"] },
      });
      expect(cloud.allowedSources().sort()).toEqual([ADDRESSES.clusterCidr, "198.51.100.30/32"]);
      expect(cloud.canConnect("operator", "198.51.100.30", 22)).toBe(true);
      expect(cloud.canConnect("operator", ADDRESSES.vip, API_PORT)).toBe(false);
    });

    test("GIVEN the bastion path THEN a tunnel opened by a process on the operator host serves kubectl, the certificate verified; after kill -9 of that process no ssh is left", async () => {
      const status = await sim.settled((s) => Boolean(s.bastion));
      const ip = String(status.bastion?.floatingIP);
      const knownHosts = join(cloud.dir, "pinned_known_hosts");
      writeFileSync(knownHosts, cloud.exec("operator", ["ssh-keyscan", "-t", "ed25519", ip]).stdout);
      const workload = join(cloud.dir, "workload.kubeconfig");
      writeFileSync(workload, api.kubeconfig.replace(/server: .*/, `server: https://${ADDRESSES.vip}:${API_PORT}`));
      const through = join(cloud.dir, "through-bastion.kubeconfig");
      const script = `const t = require(${JSON.stringify(join(PROJECT_ROOT, "dist/cli/lib/access/tunnel.js"))});
(async () => {
  const tunnel = await t.openTunnel(${JSON.stringify({ bastionIP: ip, user: "root", knownHosts, identityFile: cloud.operatorKey, target: { host: ADDRESSES.vip, port: API_PORT } })});
  require("node:fs").writeFileSync(${JSON.stringify(through)}, t.kubeconfigThroughTunnel(require("node:fs").readFileSync(${JSON.stringify(workload)}, "utf8"), tunnel.localPort));
  console.log("ssh-pid", tunnel.process.pid);
  setInterval(() => undefined, 1 << 30);
})().catch((e) => { console.error(e.message); process.exit(1); });`;
      const holder = cloud.spawn("operator", [process.execPath, "-e", script], "tunnel-holder");
      let out = "";
      holder.stdout?.on("data", (d) => {
        out += d;
      });
      const deadline = Date.now() + 20_000;
      while (!/ssh-pid \d+/.test(out) && Date.now() < deadline && holder.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      const sshPid = Number(/ssh-pid (\d+)/.exec(out)?.[1]);
      expect(sshPid).toBeGreaterThan(0);
      const kubeconfig = readFileSync(through, "utf8");
      expect(kubeconfig).toContain(`"tls-server-name": "${ADDRESSES.vip}"`);
      expect(kubeconfig).not.toContain("insecure-skip-tls-verify");
      expect(cloud.exec("operator", [tool("kubectl"), `--kubeconfig=${through}`, "get", "namespace", "default", "-o", "name"]).stdout).toBe("namespace/default\n");

      holder.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 500));
      // Gone, or a zombie waiting for init to reap it: not running either way.
      const state = existsSync(`/proc/${sshPid}/stat`) ? readFileSync(`/proc/${sshPid}/stat`, "utf8").split(") ")[1]?.[0] : "gone";
      expect(["gone", "Z"]).toContain(state);
    });

    test("GIVEN the operator's /32 added to spec.allowedCIDRs THEN direct access works; removed again, it is cut", async () => {
      applySpec(spec([ADDRESSES.clusterCidr, `${ADDRESSES.operator}/32`], { enabled: true, image: "Ubuntu-22.04-jammy" }));
      await sim.settled((s) => s.apiServerLoadBalancer.allowedCIDRs.includes(`${ADDRESSES.operator}/32`));
      expect(kubectlFromOperator(`https://${ADDRESSES.vip}:${API_PORT}`).code).toBe(0);
      applySpec(spec([ADDRESSES.clusterCidr], { enabled: true, image: "Ubuntu-22.04-jammy" }));
      await sim.settled((s) => !s.apiServerLoadBalancer.allowedCIDRs.includes(`${ADDRESSES.operator}/32`));
      expect(kubectlFromOperator(`https://${ADDRESSES.vip}:${API_PORT}`).code).not.toBe(0);
    });

    test("GIVEN the bastion disabled THEN its sshd is gone and status.bastion cleared; enabled with a new image THEN a new bastion, floating IP and host key; the simulator never wrote the spec", async () => {
      applySpec(spec([ADDRESSES.clusterCidr], { enabled: false, image: "Ubuntu-22.04-jammy" }));
      const off = await sim.settled((s) => !s.bastion);
      expect(off.apiServerLoadBalancer.allowedCIDRs).toEqual([ADDRESSES.clusterCidr]);
      expect(cloud.canConnect("operator", "198.51.100.30", 22)).toBe(false);
      applySpec(spec([ADDRESSES.clusterCidr], { enabled: true, image: "ubuntu-2404-new" }));
      const on = await sim.settled((s) => Boolean(s.bastion));
      expect(on.bastion?.floatingIP).toBe("198.51.100.31");
      expect(cloud.canConnect("operator", "198.51.100.31", 22)).toBe(true);
      const managers = JSON.parse(management.kubectl(["get", "openstackcluster", "prow", "-o", "json", "--show-managed-fields"])).metadata.managedFields as Array<{ manager: string; subresource?: string }>;
      expect(managers.filter((m) => m.manager === "capo-simulator").every((m) => m.subresource === "status")).toBe(true);
    });
  });

  describe("at the end", () => {
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
});
