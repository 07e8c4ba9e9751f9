/**
 * upgrade-k8s and node recover as a user runs them, against two local API servers: the
 * cluster layer applied by the real engine; Cluster API's own core controllers and webhooks
 * (the pinned release) rolling the MachineDeployments through MachineSets, draining and
 * deleting Machines and their Nodes; the CAPI simulator playing only the providers
 * (KubeadmControlPlane, kubeadm bootstrap, CAPO servers) and the kubelets; ProwJobs the test
 * controls, and a fake openstack CLI that records what it was asked. The upgrade is killed at
 * every step in turn and resumed; it ends where an uninterrupted run would.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CapiManager, startCapiManager } from "../../cli/lib/sandbox/capi-manager";
import { type CapiSimulator, startCapiSimulator } from "../../cli/lib/sandbox/capi-simulator";
import { connect, type Kube, type KubeObject } from "../../stacks/core/kube-client";
import { type CliProject, cliProject } from "./helpers/cli-project";
import { fakeImageBuilder, fakeOpenstack, killTree } from "./helpers/fakes";
import { CANARY, installCrds, startClusters } from "./helpers/testbed";
import { MIRROR } from "../helpers/config";

const STEPS = ["preflight", "build-image", "maintenance-window", "hold-prow", "create-templates", "switch-cluster", "wait-rollout", "release-prow", "record"];
const MACHINES = "/apis/cluster.x-k8s.io/v1beta1/namespaces/default/machines";
const PROWJOBS = "/apis/prow.k8s.io/v1/namespaces/prow/prowjobs";
const OSMS = "/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/default/openstackmachines";

describe("upgrade-k8s and node recover on the local control planes", () => {
  let clusters: Awaited<ReturnType<typeof startClusters>>;
  let sim: CapiSimulator;
  let capi: CapiManager;
  let p: CliProject;
  let mgmt: Kube;
  let work: Kube;
  let openstackLog: string;
  let bin: string;

  const machines = async () => (await mgmt.list(MACHINES)).filter((m) => !m.metadata.deletionTimestamp);
  const waitUntil = async (what: string, ok: () => Promise<boolean>, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    // A fresh API server answers 429 for a moment after new CRDs ("storage is (re)initializing").
    while (!(await ok().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const running = (m: KubeObject) => (m.status as { phase?: string } | undefined)?.phase === "Running";
  const prowJob = (name: string, state: string): KubeObject => ({
    apiVersion: "prow.k8s.io/v1",
    kind: "ProwJob",
    metadata: { name, namespace: "prow" },
    spec: { job: "pull-baremetal-operator-test", type: "presubmit", refs: { org: "metal3-io", repo: "baremetal-operator", base_ref: "main", base_sha: "0123abc", pulls: [{ number: 1234, author: "contributor", sha: "4567def" }] } },
    status: { state, startTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"), ...(state === "success" ? { completionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") } : {}) },
  });
  const deploymentReplicas = async (name: string) => ((await work.get(`/apis/apps/v1/namespaces/prow/deployments/${name}`))?.spec as { replicas: number }).replicas;

  beforeAll(async () => {
    clusters = await startClusters("lifecycle");
    installCrds(clusters.workload, [join(MIRROR, "prow-crd-8e8a5cfe/prowjob_customresourcedefinition.yaml")]);
    mgmt = await connect({ kubeconfig: clusters.management.kubeconfigPath });
    work = await connect({ kubeconfig: clusters.workload.kubeconfigPath });
    bin = mkdtempSync(join(tmpdir(), "prow-ops-fakes-"));
    openstackLog = fakeOpenstack(bin, ["ubuntu-2204-kube-v1.30.6", "ubuntu-2204-kube-v1.31.4"]);
    capi = await startCapiManager(clusters.management, mgmt);
    p = cliProject(clusters.management, clusters.workload, ["cluster"], "life");
    p.env.PATH = `${bin}:${process.env.PATH}`;
    for (const name of ["openstackApplicationCredentialId", "openstackApplicationCredentialSecret"] as const) {
      const res = await p.run(["secrets", "set", name], { input: CANARY[name] });
      if (res.code !== 0) throw new Error(res.stderr);
    }
    const up = await p.run(["--yes", "up"]);
    if (up.code !== 0) throw new Error(up.stderr);
    sim = await startCapiSimulator({ management: mgmt, workload: work, namespace: "default", cluster: "prow", workloadKubeconfig: clusters.workload.kubeconfig, capiControllers: true, provisionMs: 300, periodMs: 300 });
    // Prow's plank and tide, as the prow layer declares them (one replica each).
    clusters.workload.kubectl(["create", "namespace", "prow"]);
    for (const name of ["prow-controller-manager", "tide"]) clusters.workload.kubectl(["-n", "prow", "create", "deployment", name, "--image=registry.invalid/prow", "--replicas=1"]);
    // 1 control plane + 2 workers (the autoscaler's minimum) + 1 infra node.
    await waitUntil("4 Machines running", async () => (await machines()).filter(running).length === 4);
  }, 300_000);

  afterAll(async () => {
    await sim?.stop();
    await capi?.stop();
    await clusters?.stop();
  });

  test("GIVEN a running ProwJob WHEN upgrading without --wait-for-jobs or --force THEN refused (exit 3), the job named, nothing changed", async () => {
    await work.write("POST", PROWJOBS, prowJob("running-1", "pending"));
    const before = readFileSync(p.stackFile, "utf8");
    const res = await p.run(["--yes", "upgrade-k8s", "--to", "v1.31.4"]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/1 ProwJob\(s\) are queued or running/);
    expect(res.stderr).toMatch(/pull-baremetal-operator-test metal3-io\/baremetal-operator#1234 \(running/);
    expect(res.stderr).toMatch(/--wait-for-jobs/);
    expect(readFileSync(p.stackFile, "utf8")).toBe(before);
    expect(await deploymentReplicas("prow-controller-manager")).toBe(1);
  }, 300_000);

  test("GIVEN --build-image THEN image-builder's make gets the var file written from the stack config and the version, and the image it uploads is found; the running job still holds the roll back", async () => {
    const builder = fakeImageBuilder(bin);
    const before = readFileSync(p.stackFile, "utf8");
    const res = await p.run(["--yes", "upgrade-k8s", "--to", "v1.31.3", "--build-image", "--image-builder", builder.checkout]);
    expect(res.stderr).toMatch(/✔ build-image/);
    expect(res.stderr).toMatch(/✖ maintenance-window/);
    expect(res.code).toBe(3);
    expect(JSON.parse(readFileSync(builder.log, "utf8"))).toEqual({
      source_image: "54f49763-5f17-475e-9ad2-67dc8cd9a9ff",
      networks: "29fd620e-8145-43a2-8140-5cec6a69f344",
      flavor: "c4m4",
      floating_ip_network: "internet",
      ssh_username: "ubuntu",
      volume_type: "",
      image_name: "ubuntu-2204-kube-v1.31.3",
      kubernetes_deb_version: "1.31.3-1.1",
      kubernetes_rpm_version: "1.31.3",
      kubernetes_semver: "v1.31.3",
      kubernetes_series: "v1.31",
    });
    expect(readFileSync(openstackLog, "utf8")).toMatch(/^image show ubuntu-2204-kube-v1\.31\.3 -f value -c status$/m);
    expect(readFileSync(p.stackFile, "utf8")).toBe(before);
  }, 300_000);

  test("GIVEN an existing installation THEN bootstrap refuses to build it again (exit 3), nothing changed", async () => {
    const before = readFileSync(p.stackFile, "utf8");
    const res = await p.run(["--yes", "bootstrap", "--operator-ip", "203.0.113.10", "--bootstrap-kubeconfig", clusters.management.kubeconfigPath]);
    expect(res.stderr).toMatch(/stack life already holds a cluster in its state: bootstrap builds a new installation/);
    expect(res.code).toBe(3);
    expect(readFileSync(p.stackFile, "utf8")).toBe(before);
  }, 300_000);

  test("GIVEN bad input THEN exit 2 with the way to fix it, nothing changed", async () => {
    const skip = await p.run(["--yes", "upgrade-k8s", "--to", "v1.32.0"]);
    expect(skip.code).toBe(3);
    expect(skip.stderr).toMatch(/skips a minor version/);
    const bad = await p.run(["--yes", "upgrade-k8s", "--to", "1.31"]);
    expect(bad.code).toBe(2);
    const noImage = await p.run(["--yes", "upgrade-k8s", "--to", "v1.31.5"]);
    expect(noImage.code).toBe(3);
    expect(noImage.stderr).toMatch(/node image ubuntu-2204-kube-v1.31.5 does not exist/);
  }, 300_000);

  test("GIVEN --wait-for-jobs WHEN killed at every step and resumed THEN it starts once the job ends, and every Machine and Node ends on v1.31.4", async () => {
    for (const [i, step] of STEPS.entries()) {
      const args = i === 0 ? ["--yes", "upgrade-k8s", "--to", "v1.31.4", "--wait-for-jobs", "10m"] : ["--yes", "upgrade-k8s", "--resume"];
      let killed = false;
      const res = await p.run(args, {
        onStderr: (text, child) => {
          if (!killed && new RegExp(`… ${step} `).test(text)) {
            killed = true;
            // At once (the quick steps end within milliseconds); into the engine's up and the wait a moment later.
            const at = ["create-templates", "switch-cluster", "wait-rollout"].includes(step) ? 1500 : 0;
            setTimeout(() => killTree(child), at);
            // Again: a process being started at that instant (the engine) is not in the first sweep.
            setTimeout(() => killTree(child), at + 300);
          }
          // The job ends while the run waits for it.
          if (/waiting for 1 ProwJob/.test(text) && !/finished-marker/.test(text)) void work.apply(`${PROWJOBS}/running-1`, prowJob("running-1", "success"), "test").catch(() => undefined);
        },
      });
      // The last two steps take milliseconds: the run may end before the kill lands, and then there is nothing left to kill.
      if (res.code === 0 && ["release-prow", "record"].includes(step)) break;
      expect({ step, killed, code: res.code === null ? "killed" : res.stderr }).toEqual({ step, killed: true, code: "killed" });
      await new Promise((r) => setTimeout(r, 2000));
    }
    const done = await p.run(["--yes", "upgrade-k8s", "--resume"]);
    // The kill in the last step may land after the run's end was journaled.
    expect(done.code === 0 || /nothing to resume/.test(done.stderr)).toBe(true);

    const ms = await machines();
    expect(ms).toHaveLength(4);
    expect(ms.every((m) => (m.spec as { version: string }).version === "v1.31.4" && running(m))).toBe(true);
    // Cluster API records the template on each Machine's cloned OpenStackMachine.
    const osms = await mgmt.list(OSMS);
    const templates = ms.map((m) => (osms.find((o) => o.metadata.name === (m.spec as { infrastructureRef: { name: string } }).infrastructureRef.name)?.metadata.annotations as Record<string, string>)["cluster.x-k8s.io/cloned-from-name"]).sort();
    expect([...new Set(templates)]).toEqual(["prow-control-plane-v1-31-4-est", "prow-worker-v1-31-4-est"]);
    // The workers were rolled by the MachineDeployment controller: through a new MachineSet, the old one kept at 0 for a rollback.
    const sets = await mgmt.list("/apis/cluster.x-k8s.io/v1beta1/namespaces/default/machinesets");
    const md0 = sets.filter((s) => (s.metadata.labels as Record<string, string>)["cluster.x-k8s.io/deployment-name"] === "prow-md-0");
    expect(md0.map((s) => [(s.spec as { template: { spec: { version: string } } }).template.spec.version, (s.spec as { replicas: number }).replicas]).sort()).toEqual([["v1.30.6", 0], ["v1.31.4", 2]]);
    const nodes = await work.list("/api/v1/nodes");
    expect(nodes.map((n) => (n.status as { nodeInfo: { kubeletVersion: string } }).nodeInfo.kubeletVersion)).toEqual(["v1.31.4", "v1.31.4", "v1.31.4", "v1.31.4"]);
    const stack = readFileSync(p.stackFile, "utf8");
    expect(stack).toMatch(/kubernetesVersion: v1.31.4/);
    // The old templates are kept for a rollback, in the stack and the cluster.
    for (const name of ["prow-worker-v1-30-6-est", "prow-control-plane-v1-31-4-est"]) {
      expect(stack).toContain(`name: ${name}`);
      expect(await mgmt.get(`/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/default/openstackmachinetemplates/${name}`)).toBeDefined();
    }
    expect(await deploymentReplicas("prow-controller-manager")).toBe(1);
    expect(await deploymentReplicas("tide")).toBe(1);
    expect(readFileSync(openstackLog, "utf8")).toMatch(/image show ubuntu-2204-kube-v1.31.4/);

    const again = await p.run(["--yes", "upgrade-k8s", "--to", "v1.31.4"]);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/✔ (create-templates|switch-cluster|hold-prow|record)/);
    expect((await machines()).map((m) => m.metadata.name).sort()).toEqual(ms.map((m) => m.metadata.name).sort());
  }, 1_500_000);

  test("GIVEN an unresponsive worker Node WHEN node recover THEN its Machine gets the bounded drain, goes, and a Ready replacement takes its place", async () => {
    const worker = (await machines()).find((m) => (m.metadata.labels as Record<string, string>)["cluster.x-k8s.io/deployment-name"] === "prow-md-0") as KubeObject;
    const name = worker.metadata.name;
    await sim.breakNode(name);
    const refusedCp = await p.run(["--yes", "node", "recover", (await machines()).find((m) => (m.metadata.labels as Record<string, string>)["cluster.x-k8s.io/control-plane-name"])?.metadata.name as string]);
    expect(refusedCp.code).toBe(3);
    expect(refusedCp.stderr).toMatch(/only control-plane Machine/);
    const res = await p.run(["--yes", "node", "recover", name, "--drain-timeout", "2s", "--volume-detach-timeout", "1s"]);
    expect(res.stderr).toMatch(/Ready=Unknown/);
    expect(res.stderr).toMatch(/OpenStack server .*: ACTIVE/);
    expect(res.code).toBe(0);
    const now = await machines();
    expect(now.map((m) => m.metadata.name)).not.toContain(name);
    expect(now).toHaveLength(4);
    expect(await work.get(`/api/v1/nodes/${name}`)).toBeUndefined();
    const unknown = await p.run(["--yes", "node", "recover", "no-such-node"]);
    expect(unknown.code).toBe(2);
  }, 600_000);

  test("GIVEN the upgrade WHEN --rollback THEN every Machine returns to v1.30.6 on the kept templates; cleanup then removes only templates outside the window", async () => {
    const back = await p.run(["--yes", "upgrade-k8s", "--rollback"]);
    expect(back.stderr).toMatch(/v1.31.4 → v1.30.6/);
    expect(back.code).toBe(0);
    const ms = await machines();
    expect(ms).toHaveLength(4);
    expect(ms.every((m) => (m.spec as { version: string }).version === "v1.30.6" && running(m))).toBe(true);
    expect(readFileSync(p.stackFile, "utf8")).toMatch(/kubernetesVersion: v1.30.6/);

    const cleanup = await p.run(["--yes", "upgrade-k8s", "cleanup"]);
    expect(cleanup.code).toBe(0);
    const stack = readFileSync(p.stackFile, "utf8");
    // Kept: the current templates and those the rollback came from; gone: the v1.29.4 ones and the unused v1.30.6 pair.
    for (const kept of ["prow-worker-v1-30-6-est", "prow-control-plane-v1-30-6-est", "prow-worker-v1-31-4-est", "prow-control-plane-v1-31-4-est"]) expect(stack).toContain(`name: ${kept}`);
    for (const gone of ["prow-worker-v1-29-4-new", "prow-control-plane-v1-30-6\n"]) expect(stack).not.toMatch(new RegExp(`name: ${gone}`));
    expect(await mgmt.get("/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/default/openstackmachinetemplates/prow-worker-v1-29-4-new")).toBeUndefined();
  }, 600_000);
});
