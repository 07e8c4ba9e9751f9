/**
 * `prow-ops bootstrap` from nothing, as a user runs it: kind is a double that starts a real
 * local control plane, the workload cluster is another one, clusterctl is the real one (its
 * providers from a local repository of their CRDs, as the stack's clusterctlConfig names it:
 * their controllers cannot run here), and the controllers are played: the cluster-api-operator in the bootstrap
 * cluster, the CAPI simulator in whichever cluster holds the Cluster, kubelets for Prow's
 * Deployments. The run is killed at every step in turn and resumed; it ends self-hosted,
 * the bootstrap cluster gone, and a second run changes nothing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { type CapiSimulator, startCapiSimulator } from "../../cli/lib/sandbox/capi-simulator";
import { type ControlPlane, startControlPlane } from "../../cli/lib/sandbox/control-plane";
import { writeProviderRepository } from "../../cli/lib/sandbox/provider-repository";
import type { StackConfig } from "../../config/schema";
import { readStackFile } from "../../config/load";
import { providersInstalled } from "../../cli/lib/lifecycle/bootstrap-tools";
import { playKubelets } from "../../cli/lib/sandbox/kubelet-simulator";
import { playOperator } from "../../cli/lib/sandbox/operator-simulator";
import { startTicker, type Ticker } from "../../cli/lib/sandbox/ticker";
import { PROJECT_ROOT } from "../helpers/config";
import { connect, type Kube } from "../../stacks/core/kube-client";
import { type CliProject, cliProject } from "./helpers/cli-project";
import { fakeKindAndClusterctl, fakeOpenstack, killTree } from "./helpers/fakes";
import { CANARY, capiCrdFiles, certManagerCrdFile } from "./helpers/testbed";

const LAYERS = ["capi", "cluster", "cluster-resources", "infra", "prow"];
const STEPS = ["preflight", "openstack", "bootstrap-cluster", "capi", "allow-operator", "cluster", "workload-kubeconfig", "access-path", "cluster-resources", "clusterctl-init", "move", "retire-capi", "repoint-management", "remove-operator-ip", "delete-bootstrap-cluster", "infra", "prow", "health-check", "github"];
const OPERATOR_IP = "203.0.113.10";
const CAPI = "/apis/cluster.x-k8s.io/v1beta1/namespaces/default";
const OSC = "/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/default/openstackclusters/prow";

interface KindCluster {
  name: string;
  pid: number;
  kubeconfig: string;
  dir: string;
}

const liveKind = (dir: string): KindCluster[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ name: f.slice(0, -5), ...JSON.parse(readFileSync(join(dir, f), "utf8")) }) as KindCluster)
    .filter((c) => c.kubeconfig && existsSync(`/proc/${c.pid}`));

/**
 * The controllers of this test: the cluster-api-operator in the bootstrap cluster (the
 * providers installed by clusterctl init, their objects Ready), a CAPI simulator per
 * management cluster (it acts only where the Cluster is and is not paused), and kubelets
 * that make Prow's Deployments available and hook's endpoint ready.
 */
function playControllers(o: { kindDir: string; config: StackConfig; workload: Kube; workloadKubeconfig: string }) {
  const sims = new Map<string, CapiSimulator>();
  const simulate = (management: Kube, workloadKubeconfig?: string) => startCapiSimulator({ management, workload: o.workload, namespace: "default", cluster: "prow", workloadKubeconfig, provisionMs: 300, drainMs: 300, periodMs: 300 });
  const tick = async () => {
    for (const kind of liveKind(o.kindDir)) {
      const kube = await connect({ inline: kind.kubeconfig });
      await playOperator(kube, kind.kubeconfig, o.config);
      if (!sims.has(kind.name) && (await providersInstalled(kube, o.config))) sims.set(kind.name, await simulate(kube, o.workloadKubeconfig));
    }
    for (const [name, sim] of sims) {
      if (name !== "workload" && !liveKind(o.kindDir).some((k) => k.name === name)) {
        sims.delete(name);
        await sim.stop();
      }
    }
    await playKubelets(o.workload);
  };
  let ticker: Ticker | undefined;
  return {
    start: async () => {
      // The workload cluster as management too, for once the objects are moved there.
      sims.set("workload", await simulate(o.workload));
      ticker = startTicker("controllers", tick);
    },
    stop: async () => {
      await ticker?.stop();
      for (const sim of sims.values()) await sim.stop();
    },
  };
}

describe("bootstrap from scratch on local control planes", () => {
  let workloadCp: ControlPlane;
  let work: Kube;
  let p: CliProject;
  let bin: string;
  let kindDir: string;
  let controllers: ReturnType<typeof playControllers>;

  beforeAll(async () => {
    workloadCp = await startControlPlane("boot-workload");
    work = await connect({ kubeconfig: workloadCp.kubeconfigPath });
    bin = mkdtempSync(join(tmpdir(), "prow-ops-fakes-"));
    kindDir = mkdtempSync(join(tmpdir(), "prow-ops-kind-"));
    // clusterctl's provider repository: the pinned providers' and cert-manager's CRDs (no controller can run here).
    const prod = readStackFile(join(PROJECT_ROOT, "Pulumi.prow.yaml"));
    const clusterctlConfig = writeProviderRepository(join(bin, "repository"), prod.versions, [certManagerCrdFile(), ...capiCrdFiles()].flatMap((f) => loadAll(readFileSync(f, "utf8")) as object[]));
    const env = fakeKindAndClusterctl(bin, { kindDir });
    fakeOpenstack(bin, ["ubuntu-2204-kube-v1.30.6"]);
    p = cliProject(workloadCp, workloadCp, LAYERS, "boot", { config: (c) => ({ ...c, kubernetes: { skipAwait: true, webhookFailurePolicy: "Ignore", clusterctlConfig } }) });
    Object.assign(p.env, env, { PATH: `${bin}:${process.env.PATH}` });
    controllers = playControllers({ kindDir, config: { ...prod, kubernetes: { clusterctlConfig } }, workload: work, workloadKubeconfig: workloadCp.kubeconfig });
    await controllers.start();
  }, 300_000);

  afterAll(async () => {
    await controllers?.stop();
    for (const kind of liveKind(kindDir ?? "/nonexistent")) spawnSync(join(bin, "kind"), ["delete", "cluster", "--name", kind.name], { env: { ...process.env, FAKE_KIND_DIR: kindDir } });
    await workloadCp?.stop();
  });

  test("GIVEN --plan THEN the README section's steps are listed in order, each with its source, and nothing is created", async () => {
    const res = await p.run(["bootstrap", "--plan"]);
    expect(res.code).toBe(0);
    const listed = [...res.stderr.matchAll(/^\s+\d+\. (\S+)/gm)].map((m) => m[1]);
    expect({ listed: listed.length ? listed : [...res.stdout.matchAll(/^\s+\d+\. (\S+)/gm)].map((m) => m[1]) }).toEqual({ listed: STEPS });
    expect(`${res.stdout}${res.stderr}`).toMatch(/Deploying Prow from scratch: 6\. Make cluster self-hosted \(clusterctl move\)/);
    expect(liveKind(kindDir)).toEqual([]);
  }, 120_000);

  test("GIVEN credentials missing from the stack, or a bad address THEN refused before anything is created", async () => {
    const bad = await p.run(["--yes", "bootstrap", "--operator-ip", "203.0.113"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not one IPv4 address/);
    const missing = await p.run(["--yes", "bootstrap", "--operator-ip", OPERATOR_IP]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/the stack lacks these credentials: .*githubToken, cherrypickBotToken, jenkinsToken/);
    // Without the openstack and github layers, what they would create must be given.
    expect(missing.stderr).toMatch(/the stack lacks these credentials: openstackApplicationCredentialId, openstackApplicationCredentialSecret, s3AccessKey, s3SecretKey, hmacToken,/);
    expect(missing.stderr).toMatch(/prow-ops secrets set <name>/);
    expect(liveKind(kindDir)).toEqual([]);
    // The tools preflight asked kind for its version; nothing was created.
    expect(readFileSync(join(kindDir, "kind.log"), "utf8")).not.toMatch(/create/);
  }, 120_000);

  test("GIVEN --dry-run on a new stack THEN every step that would run is listed, and nothing is created", async () => {
    const res = await p.run(["--yes", "bootstrap", "--dry-run", "--operator-ip", OPERATOR_IP]);
    expect({ code: res.code, stderr: res.code === 0 ? "" : res.stderr }).toEqual({ code: 0, stderr: "" });
    const wouldRun = [...res.stderr.matchAll(/^\S+ \S+ (\S+)\s.*would run/gm)].map((m) => m[1]);
    expect(wouldRun).toEqual(STEPS.filter((s) => !["openstack", "access-path", "github"].includes(s)));
    expect(liveKind(kindDir)).toEqual([]);
    expect(readFileSync(p.stackFile, "utf8")).not.toMatch(/Kubeconfig/);
  }, 300_000);

  test("GIVEN bootstrap killed (kill -9, engine included) in every step in turn WHEN resumed THEN it ends self-hosted, the bootstrap cluster gone, Prow healthy; a second run changes nothing", async () => {
    for (const [name, value] of Object.entries(CANARY)) {
      const res = await p.run(["secrets", "set", name], { input: value });
      expect(res.code).toBe(0);
    }
    const killed: string[] = [];
    let finished = false;
    let outputs = "";
    for (const [i, step] of STEPS.entries()) {
      const args = i === 0 ? ["--yes", "bootstrap", "--operator-ip", OPERATOR_IP] : ["--yes", "bootstrap", "--resume"];
      let armed = false;
      const res = await p.run(args, {
        onStderr: (text, child) => {
          if (!armed && new RegExp(`… ${step} `).test(text)) {
            armed = true;
            setTimeout(() => {
              killed.push(step);
              killTree(child);
            }, 300);
          }
        },
      });
      outputs += res.stdout + res.stderr;
      if (res.code === 0) {
        finished = true;
        break;
      }
      expect({ step, code: res.code, stderr: res.code === null ? "" : res.stderr }).toEqual({ step, code: null, stderr: "" });
    }
    if (!finished) {
      const done = await p.run(["--yes", "bootstrap", "--resume"]);
      outputs += done.stdout + done.stderr;
      expect({ code: done.code, stderr: done.code === 0 ? "" : done.stderr }).toEqual({ code: 0, stderr: "" });
    }
    // Every step that does work was interrupted at least once.
    for (const step of ["bootstrap-cluster", "capi", "cluster", "workload-kubeconfig", "cluster-resources", "clusterctl-init", "move", "retire-capi", "repoint-management", "remove-operator-ip", "delete-bootstrap-cluster", "infra", "prow"]) expect(killed).toContain(step);

    // Self-hosted: every CAPI object in the workload cluster, once; the bootstrap cluster gone.
    expect(liveKind(kindDir)).toEqual([]);
    expect(readFileSync(join(kindDir, "kind.log"), "utf8")).toMatch(/^delete cluster --name prow-ops-bootstrap-boot/m);
    expect((await work.get(`${CAPI}/clusters/prow`))?.spec?.paused ?? false).toBe(false);
    const machines = (await work.list(`${CAPI}/machines`)).filter((m) => !m.metadata.deletionTimestamp);
    expect(machines).toHaveLength(4);
    const templates = await work.list("/apis/infrastructure.cluster.x-k8s.io/v1beta1/namespaces/default/openstackmachinetemplates");
    // The two in use (moved) and the four kept for a rollback (recreated after the re-point).
    expect(templates.map((t) => t.metadata.name).sort()).toEqual(["prow-control-plane-v1-29-4-new", "prow-control-plane-v1-30-6", "prow-control-plane-v1-30-6-est", "prow-worker-v1-29-4-new", "prow-worker-v1-30-6", "prow-worker-v1-30-6-est"]);
    const inventory = await work.list("/apis/clusterctl.cluster.x-k8s.io/v1alpha3/providers");
    expect(inventory.map((i) => `${i.metadata.name}@${(i as { version?: string }).version}`).sort()).toEqual(["bootstrap-kubeadm@v1.8.5", "cluster-api@v1.8.5", "control-plane-kubeadm@v1.8.5", "infrastructure-openstack@v0.11.1"]);
    expect(readFileSync(join(bin, "clusterctl.log"), "utf8")).toMatch(/^init --kubeconfig \S+ --core cluster-api:v1\.8\.5 --bootstrap kubeadm:v1\.8\.5 --control-plane kubeadm:v1\.8\.5 --infrastructure openstack:v0\.11\.1 --wait-providers --config \S+\/clusterctl\.yaml$/m);
    expect(readFileSync(join(bin, "clusterctl.log"), "utf8")).toMatch(/^move --kubeconfig \S+ --to-kubeconfig \S+ --namespace default --config \S+\/clusterctl\.yaml$/m);

    // The operator's /32 is gone from the stack, the team store and the load balancer's spec.
    expect(((await work.get(OSC))?.spec as { apiServerLoadBalancer: { allowedCIDRs: string[] } }).apiServerLoadBalancer.allowedCIDRs).toEqual(["10.6.0.0/24"]);
    expect(readdirSync(p.dir, { recursive: true }).some((f) => String(f).endsWith("temporary-cidrs.json"))).toBe(false);

    // The stack: capi retired, both kubeconfigs secrets (encrypted), nothing left to do.
    const stackFile = readFileSync(p.stackFile, "utf8");
    expect(stackFile).toMatch(/prow-ops:layers:\n\s+- cluster\n\s+- cluster-resources\n\s+- infra\n\s+- prow\n/);
    expect(stackFile).toMatch(/prow-ops:managementKubeconfig:\n\s+secure: /);
    expect(stackFile).toMatch(/prow-ops:workloadKubeconfig:\n\s+secure: /);
    expect(stackFile).not.toMatch(/prow-ops-test-admin-token/);
    for (const value of [...Object.values(CANARY), "prow-ops-test-admin-token"]) expect(outputs).not.toContain(value);
    const preview = await p.run(["preview", "--expect-no-changes"]);
    expect({ code: preview.code, stderr: preview.code === 0 ? "" : preview.stderr }).toEqual({ code: 0, stderr: "" });

    // Prow: healthy, the ProwJob API served.
    expect(await work.list("/apis/prow.k8s.io/v1/namespaces/prow/prowjobs")).toEqual([]);

    // A second run on the finished installation: every step skipped, nothing changed.
    const versions = async () => (await work.list(`${CAPI}/machines`)).map((m) => `${m.metadata.name}@${m.metadata.resourceVersion}`).sort();
    const before = await versions();
    const again = await p.run(["--yes", "bootstrap", "--operator-ip", OPERATOR_IP]);
    expect({ code: again.code, stderr: again.code === 0 ? "" : again.stderr }).toEqual({ code: 0, stderr: "" });
    // Only the preflight runs again (it reads, and learns the address the last step checks).
    expect(again.stderr.match(/✔ \S+/g)).toEqual(["✔ preflight"]);
    expect(again.stderr.match(/↷/g)?.length).toBe(STEPS.length - 1);
    expect(liveKind(kindDir)).toEqual([]);
    expect(await versions()).toEqual(before);
  }, 2_400_000);
});
