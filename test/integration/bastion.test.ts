/**
 * Access through the bastion, temporary direct access and the bastion swap, run as a user runs
 * them: `prow-ops` on the operator host of the local cloud, a self-managed cluster (its
 * OpenStackCluster lives in the workload API it guards) behind a real load balancer whose
 * allowed sources the CAPO simulator programs, real sshd bastions. After every interruption
 * the harness probes from the operator host, on its own, whether any path to the API is left.
 */
import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { kubeconfigThroughTunnel } from "../../cli/lib/access/tunnel";
import { connect } from "../../stacks/core/kube-client";
import { PROJECT_ROOT } from "../helpers/config";
import { type Simulator, startCapoSimulator } from "../../cli/lib/sandbox/capo-simulator";
import { type CliProject, cliProject } from "./helpers/cli-project";
import { type ControlPlane, startControlPlane } from "../../cli/lib/sandbox/control-plane";
import { ADDRESSES, API_PORT, type LocalCloud, startLocalCloud } from "../../cli/lib/sandbox/local-cloud";
import { capiCrdFiles, CANARY, installCrds } from "./helpers/testbed";
import { tool } from "./helpers/tools";

const OPERATOR_CIDR = `${ADDRESSES.operator}/32`;
const FLOATING_IPS = Array.from({ length: 12 }, (_, i) => `198.51.100.${30 + i}`);
const SWAP_STEPS = ["current-bastion", "allow-operator-ip", "verify-direct", "disable-bastion", "enable-new-bastion", "verify-new-bastion", "remove-operator-ip", "verify-final"];

describe("access through the bastion and the bastion swap, on the local cloud", () => {
  let cloud: LocalCloud;
  let api: ControlPlane;
  let sim: Simulator;
  let p: CliProject;
  let directKubeconfig: string;

  /** Whether the operator host has any path to the API: straight through the load balancer, or through the bastion CAPO reports. */
  const operatorHasPath = async (): Promise<{ direct: boolean; bastion: boolean }> => {
    const direct = cloud.canConnect("operator", ADDRESSES.vip, API_PORT, 3);
    const status = await sim.settled(() => true);
    const ip = status.bastion?.floatingIP;
    const ssh = ip
      ? cloud.exec(
          "operator",
          ["ssh", "-i", cloud.operatorKey, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=3", `root@${ip}`, `timeout 3 bash -c 'exec 3<>/dev/tcp/${ADDRESSES.vip}/${API_PORT}'`],
          { allowFail: true, timeoutMs: 15_000 },
        )
      : undefined;
    return { direct, bastion: ssh?.code === 0 };
  };

  /** ssh processes still running on the operator host (zombies are not running). */
  const runningSsh = () =>
    execFileSync("ip", ["netns", "pids", cloud.ns.operator], { encoding: "utf8" })
      .split(/\s+/)
      .filter(Boolean)
      .filter((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
          return /^\d+ \(ssh\) [^Z]/.test(stat);
        } catch {
          return false;
        }
      });

  /** Kills a CLI run and everything under it, as a power cut would. */
  const killTree = (child: ChildProcess) => {
    const tree = (pid: number): number[] => {
      // ps exits 1 when a process has no children.
      const kids = (spawnSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).stdout ?? "").split(/\s+/).filter(Boolean).map(Number);
      return [...kids.flatMap(tree), ...kids];
    };
    const all = [child.pid as number, ...tree(child.pid as number)];
    for (const pid of all) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };

  const waitForOutput = (child: ChildProcess, pattern: RegExp, timeoutMs = 120_000) =>
    new Promise<string>((resolve, reject) => {
      let text = "";
      const t = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs / 1000} s; output:\n${text}`)), timeoutMs);
      const on = (d: Buffer) => {
        text += d;
        if (pattern.test(text)) {
          clearTimeout(t);
          resolve(text);
        }
      };
      child.stdout?.on("data", on);
      child.stderr?.on("data", on);
    });

  /** A CLI run kept in the background (access holds its path until stopped). */
  const background = (args: string[]) => {
    let child: ChildProcess | undefined;
    const done = p.run(args, {
      onSpawn: (c) => {
        child = c;
      },
    });
    return { done, child: () => child as ChildProcess };
  };

  const storeFile = (name: string) => join(p.dir, ".pulumi-state", ".prow-ops", "access", "cloud", name);

  beforeAll(async () => {
    cloud = await startLocalCloud();
    api = await startControlPlane("bastion-api", { netns: cloud.ns.cluster, address: ADDRESSES.apiServer, port: API_PORT, sans: [ADDRESSES.vip] });
    installCrds(api, capiCrdFiles());
    directKubeconfig = join(cloud.dir, "prow.kubeconfig");
    writeFileSync(directKubeconfig, api.kubeconfig.replace(/server: .*/, `server: https://${ADDRESSES.vip}:${API_PORT}`));
    // CAPO runs inside the cluster: it reaches its API on the cluster network, not through the load balancer.
    const inCluster = await cloud.expose("cluster", ADDRESSES.apiServer, API_PORT);
    const kube = await connect({ inline: kubeconfigThroughTunnel(api.kubeconfig, inCluster) });
    // A load balancer CAPO has not configured yet admits every source.
    cloud.setAllowedSources(["0.0.0.0/0"]);
    sim = await startCapoSimulator({ cloud, management: kube, namespace: "default", name: "prow", floatingIPs: FLOATING_IPS, delayMs: 1000 });
    p = cliProject(api, api, ["cluster"], "cloud", {
      wrap: ["ip", "netns", "exec", cloud.ns.operator],
      config: (c) => ({
        ...c,
        cluster: { ...(c.cluster as Record<string, unknown>), allowedCIDRs: [ADDRESSES.clusterCidr] },
        kubernetes: { management: { kubeconfig: directKubeconfig }, workload: { kubeconfig: directKubeconfig }, skipAwait: true, publicAddressUrl: cloud.whatIsMyIpUrl },
      }),
    });
    for (const name of ["openstackApplicationCredentialId", "openstackApplicationCredentialSecret"] as const) {
      const res = await p.run(["secrets", "set", name], { input: CANARY[name] });
      if (res.code !== 0) throw new Error(res.stderr);
    }
  }, 180_000);

  afterAll(async () => {
    await sim?.stop();
    await api?.stop();
    await cloud?.destroy();
  });

  test("GIVEN a new cluster applied directly THEN CAPO starts a bastion and the load balancer stops admitting the operator", async () => {
    const up = await p.run(["--yes", "up"]);
    expect(up.stderr).not.toMatch(/error/);
    expect(up.code).toBe(0);
    const status = await sim.settled((s) => Boolean(s.bastion));
    expect(status.bastion?.floatingIP).toBe(FLOATING_IPS[0]);
    expect(cloud.allowedSources().sort()).toEqual([ADDRESSES.clusterCidr, `${FLOATING_IPS[0]}/32`].sort());
    expect(await operatorHasPath()).toEqual({ direct: false, bastion: true });
  }, 180_000);

  test("GIVEN the bastion path configured WHEN nothing is known of the bastion yet THEN its address is asked for, and its host key is pinned only once confirmed", async () => {
    const set = await p.run(["config", "set", "kubernetes.bastion", `{clusters: [management, workload], user: root, identityFile: ${cloud.operatorKey}}`]);
    expect(set.code).toBe(0);
    const unknown = await p.run(["status"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no bastion is known for stack cloud yet: give its floating IP once with `prow-ops access --bastion-ip <IP>`/);

    const unconfirmed = await p.run(["access", "--bastion-ip", FLOATING_IPS[0]]);
    expect(unconfirmed.code).toBe(3);
    expect(unconfirmed.stderr).toMatch(new RegExp(`first connection to the bastion ${FLOATING_IPS[0].replace(/\./g, "\\.")}; its host keys are\\n\\s+256 SHA256:\\S+ ${FLOATING_IPS[0].replace(/\./g, "\\.")} \\(ED25519\\)`));
    expect(unconfirmed.stderr).toMatch(/run again with --yes/);
    expect(existsSync(storeFile("bastions.json"))).toBe(false);
  });

  test("GIVEN prow-ops access holding the path THEN kubectl, the status (client-node) and a preview (the kubernetes provider) all work through one tunnel; after kill -9 no ssh is left", async () => {
    const held = background(["--yes", "access", "--bastion-ip", FLOATING_IPS[0]]);
    const out = await waitForOutput(held.child() as ChildProcess, /workload\s+export KUBECONFIG=\S+/);
    const kubeconfig = /workload\s+export KUBECONFIG=(\S+)/.exec(out)?.[1] as string;
    expect(readFileSync(kubeconfig, "utf8")).toMatch(/"tls-server-name": "198\.51\.100\.5"/);
    expect(readFileSync(kubeconfig, "utf8")).not.toMatch(/insecure-skip-tls-verify/);
    expect(JSON.parse(readFileSync(storeFile("bastions.json"), "utf8"))).toMatchObject({ current: FLOATING_IPS[0] });

    const kubectl = cloud.exec("operator", [tool("kubectl"), `--kubeconfig=${kubeconfig}`, "get", "openstackcluster", "prow", "-o", "jsonpath={.status.bastion.floatingIP}"]);
    expect(kubectl.stdout).toBe(FLOATING_IPS[0]);
    const status = await p.run(["--json", "status"]);
    expect({ stderr: status.stderr, unreachable: JSON.parse(status.stdout).unreachable }).toEqual({ stderr: "", unreachable: {} });
    expect(JSON.parse(status.stdout)).toMatchObject({ bastion: { floatingIP: FLOATING_IPS[0] } });
    // The providers' kubeconfig is now the path's file: one update of them, then nothing to do.
    const up = await p.run(["--yes", "up"]);
    expect(up.stderr).toMatch(/updating\s+pulumi:providers:kubernetes\s+management-cluster/);
    expect(up.code).toBe(0);
    const preview = await p.run(["preview", "--expect-no-changes"]);
    expect(preview.code).toBe(0);
    expect(runningSsh()).toHaveLength(1);

    killTree(held.child());
    await held.done;
    await new Promise((r) => setTimeout(r, 500));
    expect(runningSsh()).toEqual([]);
    // The next command reaps what the killed one left and opens (and closes) its own path.
    const after = await p.run(["preview", "--expect-no-changes"]);
    expect(after.code).toBe(0);
    expect(runningSsh()).toEqual([]);
    expect(existsSync(kubeconfig)).toBe(false);
  }, 240_000);

  test("GIVEN a bastion presenting another host key than the pinned one THEN every command refuses it and says why", async () => {
    const record = readFileSync(storeFile("bastions.json"), "utf8");
    const other = join(cloud.dir, "other_host_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other]);
    const otherKey = readFileSync(`${other}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
    writeFileSync(storeFile("bastions.json"), JSON.stringify({ ...JSON.parse(record), hostKeys: { [FLOATING_IPS[0]]: [otherKey] } }));
    try {
      const res = await p.run(["status"]);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/the bastion 198\.51\.100\.30 presented a host key that is not the one pinned .*do not connect until you know why it changed/s);
    } finally {
      writeFileSync(storeFile("bastions.json"), record);
    }
  }, 60_000);

  test("GIVEN access --temporary-ip THEN this machine's detected address is allowed through the stack, direct access verified, and removed on Ctrl-C", async () => {
    const held = background(["--yes", "access", "--temporary-ip"]);
    const out = await waitForOutput(held.child() as ChildProcess, /direct access open for 203\.0\.113\.10\/32:\n\s+export KUBECONFIG=\S+/, 180_000);
    expect(out).toContain(`export KUBECONFIG=${directKubeconfig}`);
    expect(cloud.allowedSources()).toContain(OPERATOR_CIDR);
    expect(cloud.exec("operator", [tool("kubectl"), `--kubeconfig=${directKubeconfig}`, "get", "namespace", "default", "-o", "name"]).stdout).toBe("namespace/default\n");

    held.child().kill("SIGINT");
    const res = await held.done;
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/203\.0\.113\.10\/32 removed: direct access is closed again/) });
    expect(cloud.allowedSources()).not.toContain(OPERATOR_CIDR);
    expect(existsSync(storeFile("temporary-cidrs.json"))).toBe(false);
  }, 240_000);

  test("GIVEN access --temporary-ip killed after the address was added THEN the next preview says so loudly and the next up removes it", async () => {
    const held = background(["--yes", "access", "--temporary-ip"]);
    await waitForOutput(held.child() as ChildProcess, /direct access open/, 180_000);
    killTree(held.child());
    await held.done;
    expect(cloud.allowedSources()).toContain(OPERATOR_CIDR);

    const preview = await p.run(["preview"]);
    expect(preview.stderr).toMatch(/the API load balancer still admits the temporary source 203\.0\.113\.10\/32 \(added by \S+, pid \d+, at \S+\).*prow-ops access --clear-temporary-ips/);
    const up = await p.run(["--yes", "up"]);
    expect(up.stderr).toMatch(/removing temporary load-balancer source\(s\) a crashed prow-ops left: 203\.0\.113\.10\/32/);
    expect(up.code).toBe(0);
    await sim.settled((s) => !s.apiServerLoadBalancer.allowedCIDRs.includes(OPERATOR_CIDR));
    expect(cloud.allowedSources()).not.toContain(OPERATOR_CIDR);
    expect(existsSync(storeFile("temporary-cidrs.json"))).toBe(false);
  }, 300_000);

  test("GIVEN a temporary address that does not open direct access (not this machine's) THEN the failure removes it again", async () => {
    const res = await p.run(["--yes", "access", "--temporary-ip", "198.51.100.99"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/does not answer directly although the load balancer reports the address as allowed/);
    expect(res.stderr).toMatch(/198\.51\.100\.99\/32 removed: direct access is closed again/);
    expect(cloud.allowedSources()).not.toContain("198.51.100.99/32");
    expect(existsSync(storeFile("temporary-cidrs.json"))).toBe(false);
  }, 300_000);

  test("GIVEN bastion swap killed (kill -9, engine included) in every step in turn THEN the operator never lacks a path, and --resume completes the swap: new bastion, new host key, old sshd gone", async () => {
    const before = await sim.settled((s) => Boolean(s.bastion));
    const oldIP = before.bastion?.floatingIP as string;
    const oldKeys = JSON.parse(readFileSync(storeFile("bastions.json"), "utf8")).hostKeys[oldIP];
    for (const [i, step] of SWAP_STEPS.entries()) {
      const args = i === 0 ? ["--yes", "bastion", "swap", "--image", "ubuntu-2404-new"] : ["--yes", "bastion", "swap", "--resume"];
      let killed = false;
      const res = await p.run(args, {
        onStderr: (text, child) => {
          if (!killed && new RegExp(`… ${step} `).test(text)) {
            killed = true;
            // A moment into the step, so its action is under way.
            setTimeout(() => killTree(child), 1500);
          }
        },
      });
      expect({ step, killed, code: res.code, stderr: killed ? "" : res.stderr }).toEqual({ step, killed: true, code: null, stderr: "" });
      await new Promise((r) => setTimeout(r, 2500));
      const path = await operatorHasPath();
      expect({ step, anyPath: path.direct || path.bastion }).toEqual({ step, anyPath: true });
    }
    const done = await p.run(["--yes", "bastion", "swap", "--resume"]);
    expect(done.stderr).toMatch(/✔ verify-final|↷ verify-final/);
    expect(done.code).toBe(0);

    const after = await sim.settled((s) => Boolean(s.bastion));
    const newIP = after.bastion?.floatingIP as string;
    expect(newIP).not.toBe(oldIP);
    const record = JSON.parse(readFileSync(storeFile("bastions.json"), "utf8"));
    expect(record.current).toBe(newIP);
    expect(record.hostKeys[newIP]).not.toEqual(oldKeys);
    expect(cloud.canConnect("operator", oldIP, 22)).toBe(false);
    expect(cloud.allowedSources().sort()).toEqual([ADDRESSES.clusterCidr, `${newIP}/32`].sort());
    expect(await operatorHasPath()).toEqual({ direct: false, bastion: true });
    const stackFile = readFileSync(p.stackFile, "utf8");
    expect(stackFile).toMatch(/image: ubuntu-2404-new/);
    expect((await p.run(["status"])).code).toBe(0);
  }, 1_200_000);

  test("GIVEN bastion swap without --image THEN a fresh bastion of the same image replaces the old one, end to end", async () => {
    const oldIP = (await sim.settled((s) => Boolean(s.bastion))).bastion?.floatingIP;
    const res = await p.run(["--yes", "bastion", "swap"]);
    expect(res.stderr).toMatch(/✔ verify-new-bastion/);
    expect(res.code).toBe(0);
    const now = await sim.settled((s) => Boolean(s.bastion));
    expect(now.bastion?.floatingIP).not.toBe(oldIP);
    expect(cloud.canConnect("operator", oldIP as string, 22)).toBe(false);
    expect(await operatorHasPath()).toEqual({ direct: false, bastion: true });
    expect(readFileSync(p.stackFile, "utf8")).toMatch(/image: ubuntu-2404-new/);
  }, 600_000);

  describe("a deliberately wrong runbook: the /32 removed while no new bastion is there", () => {
    /** Runs the swap with its steps in the wrong order, on the operator host, from the built CLI. */
    const wrongSwap = (o: { unguarded: boolean; resume: boolean; openstackBin?: string }) => {
      const script = `
const dist = (p) => require(${JSON.stringify(join(PROJECT_ROOT, "dist"))} + p);
const { bastionSwap, swapSteps } = dist("/cli/runbooks/bastion-swap.js");
const { runbookCommand } = dist("/cli/lib/runbook/command.js");
const { createReporter } = dist("/cli/lib/reporter.js");
const lb = dist("/cli/lib/access/load-balancer.js");
const tc = dist("/cli/lib/access/temporary-cidrs.js");
const byId = Object.fromEntries(swapSteps.map((s) => [s.id, s]));
const remove = ${o.unguarded}
  ? { ...byId["remove-operator-ip"], run: async (c) => {
      await tc.dropTemporary(c.setup.store, c.cli.options.stack, [String(c.outputs.operatorCidr)]);
      await lb.applyClusterLayer(c.cli, c.opened, c.signal);
      await new Promise((r) => setTimeout(r, 4000));
    }, verify: async () => true }
  : byId["remove-operator-ip"];
const steps = ["current-bastion", "allow-operator-ip", "verify-direct", "disable-bastion"].map((id) => byId[id]).concat([remove], ["enable-new-bastion", "verify-new-bastion", "verify-final"].map((id) => byId[id]));
const options = { stack: "cloud", json: false, yes: true, verbose: false, color: false };
const ctx = { options, reporter: createReporter(options), projectDir: ${JSON.stringify(p.dir)}, stackFile: ${JSON.stringify(p.stackFile)} };
runbookCommand(ctx, bastionSwap(ctx, {}, { steps }), { resume: ${o.resume}, options: {} })
  .then(() => process.exit(0), (e) => { process.stderr.write("error: " + e.message + "\\n"); process.exit(e.code === "REFUSED" ? 3 : 1); });
`;
      return new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const env = { ...process.env, ...p.env, ...(o.openstackBin ? { PATH: `${o.openstackBin}:${process.env.PATH}` } : {}) };
        const child = cloud.spawn("operator", [process.execPath, "-e", script], `wrong-swap-${o.unguarded}`, env);
        let stderr = "";
        child.stderr?.on("data", (d) => {
          stderr += d;
        });
        child.on("close", (code) => resolve({ code, stderr }));
      });
    };

    test("GIVEN the wrong order with the shipped guard THEN the removal is refused with the state, --resume and the break-glass command, and the operator keeps direct access", async () => {
      const res = await wrongSwap({ unguarded: false, resume: false });
      expect(res.stderr).toMatch(/not removing this machine's \/32: the path through the new bastion is not verified/);
      expect(res.stderr).toMatch(/State now:\n\s+bastion: none; stack file: enabled false/);
      expect(res.stderr).toMatch(/openstack loadbalancer listener unset --allowed-cidrs <listener id>\n\s+\(find the id: openstack loadbalancer listener list --loadbalancer k8s-clusterapi-cluster-default-prow-kubeapi -f value -c id\)/);
      expect(res.stderr).toMatch(/Continue it with: prow-ops --stack cloud bastion swap --resume/);
      expect(res.code).toBe(3);
      expect(await operatorHasPath()).toEqual({ direct: true, bastion: false });
    }, 600_000);

    test("GIVEN the wrong order without the guard THEN the harness's probe finds the operator locked out, and the invariant stops the run saying so, with the listener id filled in", async () => {
      // An openstack CLI that knows the cluster's listener (and records what it was asked).
      const bin = join(cloud.dir, "fake-openstack");
      execFileSync("mkdir", ["-p", bin]);
      writeFileSync(
        join(bin, "openstack"),
        `#!/bin/sh\necho "$@" >> ${bin}/calls\n[ "$*" = "--version" ] && { echo "openstack 6.6.0"; exit 0; }\n[ "$*" = "loadbalancer listener list --loadbalancer k8s-clusterapi-cluster-default-prow-kubeapi -f value -c id" ] && { echo 6f1c2d3e-listener-0001; exit 0; }\nexit 1\n`,
        { mode: 0o755 },
      );
      const res = await wrongSwap({ unguarded: true, resume: true, openstackBin: bin });
      expect(await operatorHasPath()).toEqual({ direct: false, bastion: false });
      expect(res.stderr).toMatch(/invariant broken after step remove-operator-ip: this machine has no working path to the API/);
      expect(res.stderr).toMatch(/openstack loadbalancer listener unset --allowed-cidrs 6f1c2d3e-listener-0001\n/);
      expect(res.code).toBe(1);
    }, 600_000);
  });
});
