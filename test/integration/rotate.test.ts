/**
 * `prow-ops secrets rotate` as a user runs it against the two local control planes (the
 * workload one running the Deployment and ReplicaSet controllers, its pods made Ready as a
 * kubelet would), Keystone and GitHub answered by local stand-ins, S3 by versitygw: every
 * consumer Secret holds the new value, the readers roll to a new pod template hash, the old
 * credential is revoked only after the new one works, a stop in between is resumed, and the
 * old value is nowhere — state, journal, audit record, output, argv.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { connect, type Kube, type KubeObject } from "../../stacks/core/kube-client";
import { RESTARTED_BY } from "../../cli/lib/rotation/restart";
import type { ControlPlane } from "../../cli/lib/sandbox/control-plane";
import { type CliProject, cliProject } from "./helpers/cli-project";
import { type GithubApi, startGithubApi } from "./helpers/github-api";
import { type KeystoneApi, startKeystone } from "./helpers/keystone-api";
import { type S3Server, startS3 } from "./helpers/s3-server";
import { startClusters } from "./helpers/testbed";

const LAYERS = ["cluster", "cluster-resources", "prow"];
const OLD = {
  githubToken: "OLD-rot-github-51d0",
  cherrypickBotToken: "OLD-rot-cherrypick-a3c1",
  jenkinsToken: "OLD-rot-jenkins-77e2",
  hmacToken: "OLD-rot-hmac-0b9d",
  s3AccessKey: "oldrotaccess0c4f",
  s3SecretKey: "OLD-rot-s3-secret-6e2a",
  openstackApplicationCredentialId: "0123456789abcdef0123456789abcdef",
  openstackApplicationCredentialSecret: "OLD-rot-appcred-secret-9f31",
  openstackPassword: "OLD-rot-password-2d7c",
};
const NEW_GITHUB = "NEW-rot-github-c0ffee";

const decoded = (s: KubeObject | undefined) => Object.values((s?.data ?? {}) as Record<string, string>).map((v) => Buffer.from(v, "base64").toString("utf8")).join("\n");

/** Every file under a folder, as text (the state, the team store). */
function filesText(dir: string): string {
  if (!existsSync(dir)) return "";
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name), "utf8"))
    .join("\n");
}

/** Samples every process's command line while `run` goes on. */
async function watchingArgv<T>(run: () => Promise<T>): Promise<{ result: T; argv: string }> {
  const seen = new Set<string>();
  const sample = () => {
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        seen.add(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "));
      } catch {
        // gone meanwhile
      }
    }
  };
  const timer = setInterval(sample, 100);
  try {
    return { result: await run(), argv: [...seen].join("\n") };
  } finally {
    clearInterval(timer);
  }
}

/** What a kubelet would report for the pods the controllers create: Running and Ready. */
function playKubelet(kube: Kube): () => void {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      for (const pod of await kube.list("/api/v1/pods").catch(() => [])) {
        const ready = ((pod.status?.conditions ?? []) as Array<{ type: string; status: string }>).some((c) => c.type === "Ready" && c.status === "True");
        if (ready || pod.metadata.deletionTimestamp) continue;
        const now = new Date().toISOString();
        await kube
          .apply(
            `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`,
            { apiVersion: "v1", kind: "Pod", metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace }, status: { phase: "Running", conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({ type, status: "True", lastTransitionTime: now })) } },
            "test-kubelet",
          )
          .catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  void loop();
  return () => {
    stopped = true;
  };
}

describe("secrets rotate", () => {
  let clusters: { management: ControlPlane; workload: ControlPlane; stop(): Promise<void> };
  let p: CliProject;
  let keystone: KeystoneApi;
  let github: GithubApi;
  let s3: S3Server;
  let workload: Kube;
  let management: Kube;
  let stopKubelet: () => void;
  const everywhere = () => [filesText(join(p.dir, ".pulumi-state")), filesText(join(p.dir, ".prow-ops")), readFileSync(p.stackFile, "utf8")].join("\n");
  const secret = (kube: Kube, ns: string, name: string) => kube.get(`/api/v1/namespaces/${ns}/secrets/${name}`);
  const deployment = (ns: string, name: string) => workload.get(`/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
  /** The pod-template-hash of the Deployment's newest ReplicaSet. */
  const templateHash = async (name: string) => {
    const sets = (await workload.list("/apis/apps/v1/namespaces/prow/replicasets")).filter((r) => (r.metadata.ownerReferences as Array<{ name: string }> | undefined)?.[0]?.name === name);
    sets.sort((a, b) => Number((a.metadata.annotations as Record<string, string>)["deployment.kubernetes.io/revision"]) - Number((b.metadata.annotations as Record<string, string>)["deployment.kubernetes.io/revision"]));
    return (sets.at(-1)?.metadata.labels as Record<string, string> | undefined)?.["pod-template-hash"];
  };
  const rotate = (args: string[], input = "") => watchingArgv(() => p.run(["--yes", "secrets", "rotate", ...args], { input }));

  beforeAll(async () => {
    // The cloud's S3 endpoint signs for the OpenStack region, as the stack configures Prow and the checks.
    s3 = await startS3({ rootAccess: OLD.s3AccessKey, rootSecret: OLD.s3SecretKey, users: true, region: "RegionOne" });
    for (const b of ["prow-logs", "tide", "status-reconciler"]) s3.makeBucket(b);
    keystone = await startKeystone({ user: "maintainer", password: OLD.openstackPassword, projectId: "51faa3170dfc4990b6654346c2bf2243", onEc2Created: (a, s) => s3.createUser(a, s) });
    keystone.ec2.set(OLD.s3AccessKey, OLD.s3SecretKey);
    keystone.applicationCredentials.set(OLD.openstackApplicationCredentialId, { name: "prow-capo-cloud-controller", secret: OLD.openstackApplicationCredentialSecret });
    github = await startGithubApi([OLD.githubToken, NEW_GITHUB], {});
    clusters = await startClusters("rot", { workloadControllers: ["deployment", "replicaset", "daemonset", "serviceaccount"] });
    p = cliProject(clusters.management, clusters.workload, LAYERS, "rot", {
      config: (c) => ({ ...c, openstack: { ...(c.openstack as object), authUrl: keystone.url, s3Endpoint: `http://${s3.endpoint}`, operatorUser: "maintainer" } }),
    });
    Object.assign(p.env, { PROW_OPS_GITHUB_API_URL: github.url });
    for (const [name, value] of Object.entries(OLD)) expect((await p.run(["secrets", "set", name], { input: `${value}\n` })).code).toBe(0);
    const up = await p.run(["--yes", "up"]);
    expect({ code: up.code, stderr: up.code === 0 ? "" : up.stderr }).toEqual({ code: 0, stderr: "" });
    workload = await connect({ kubeconfig: clusters.workload.kubeconfigPath });
    management = await connect({ kubeconfig: clusters.management.kubeconfigPath });
    stopKubelet = playKubelet(workload);
  });
  afterAll(async () => {
    stopKubelet?.();
    await clusters?.stop();
    await Promise.all([keystone?.close(), github?.close(), s3?.stop()]);
  });

  test("GIVEN --plan or --dry-run THEN every object that would change is listed, no value, and nothing changes", async () => {
    const before = (await secret(workload, "prow", "hmac-token"))?.metadata.resourceVersion;
    const file = readFileSync(p.stackFile, "utf8");
    const plan = await p.run(["secrets", "rotate", "hmacToken", "--plan"]);
    expect(plan.code).toBe(0);
    expect(plan.stderr).toContain("prow: Secret prow/hmac-token");
    expect(plan.stderr).toContain("restarts: Deployment prow/hook, Deployment prow/cherrypicker, Deployment prow/needs-rebase");
    const dry = await p.run(["secrets", "rotate", "s3AccessKey", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout + dry.stderr).toMatch(/up --target prow: Secret prow\/s3-credentials, Secret test-pods\/s3-credentials/);
    expect(dry.stdout + dry.stderr).toMatch(/restart Deployment prow\/crier, Deployment prow\/deck, Deployment prow\/statusreconciler, Deployment prow\/tide/);
    for (const text of [plan.stdout, plan.stderr, dry.stdout, dry.stderr]) for (const v of Object.values(OLD)) expect(text).not.toContain(v);
    expect((await secret(workload, "prow", "hmac-token"))?.metadata.resourceVersion).toBe(before);
    expect(readFileSync(p.stackFile, "utf8")).toBe(file);
    expect([...keystone.ec2.keys()]).toEqual([OLD.s3AccessKey]);
  });

  test("GIVEN the HMAC token rotated THEN hmac-token holds a new one, its readers rolled to a new pod template hash, the others did not, and the old token is nowhere", async () => {
    const hashes = { hook: await templateHash("hook"), deck: await templateHash("deck") };
    expect(hashes.hook).toBeDefined();
    const { result: res, argv } = await rotate(["hmacToken"]);
    expect({ code: res.code, stderr: res.code === 0 ? "" : res.stderr }).toEqual({ code: 0, stderr: "" });
    const hmac = decoded(await secret(workload, "prow", "hmac-token"));
    expect(hmac).toMatch(/^[0-9a-f]{40}\n?$/);
    const runId = ((await deployment("prow", "hook"))?.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations[RESTARTED_BY];
    expect(runId).toMatch(/./);
    for (const name of ["hook", "cherrypicker", "needs-rebase"]) expect(((await deployment("prow", name))?.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations?.[RESTARTED_BY]).toBe(runId);
    expect(await templateHash("hook")).not.toBe(hashes.hook);
    expect(await templateHash("deck")).toBe(hashes.deck);
    expect(res.stderr).toContain("restarted Deployment prow/hook");
    for (const text of [res.stdout, res.stderr, argv, everywhere()]) expect(text).not.toContain(OLD.hmacToken);
    // nothing left to change: the stack and the cluster agree
    expect((await p.run(["preview", "--expect-no-changes"])).code).toBe(0);
  });

  test("GIVEN a GitHub token GitHub refuses THEN the rotation stops before storing it; a valid one reaches both github-token Secrets", async () => {
    const file = readFileSync(p.stackFile, "utf8");
    const bad = await rotate(["githubToken"], "NOT-A-VALID-TOKEN\n");
    expect(bad.result.code).toBe(3);
    expect(bad.result.stderr).toContain("GitHub refuses the new token (401)");
    expect(readFileSync(p.stackFile, "utf8")).toBe(file);
    expect(decoded(await secret(workload, "prow", "github-token"))).toContain(OLD.githubToken);

    const { result: res, argv } = await rotate(["githubToken"], `${NEW_GITHUB}\n`);
    expect({ code: res.code, stderr: res.code === 0 ? "" : res.stderr }).toEqual({ code: 0, stderr: "" });
    for (const ns of ["prow", "test-pods"]) expect(decoded(await secret(workload, ns, "github-token"))).toContain(NEW_GITHUB);
    expect(res.stderr).toContain("GitHub accepts the new token (user octocat)");
    expect(res.stderr).toContain("now revoke the old token in GitHub");
    for (const text of [res.stdout, res.stderr, argv, everywhere()]) {
      expect(text).not.toContain(OLD.githubToken);
      expect(text).not.toContain(NEW_GITHUB);
    }
  });

  test("GIVEN the S3 credential rotated THEN Keystone holds only the new one, both s3-credentials Secrets hold it, it reaches the buckets, and the old pair is nowhere", async () => {
    const { result: res, argv } = await rotate(["s3SecretKey"]);
    expect({ code: res.code, stderr: res.code === 0 ? "" : res.stderr }).toEqual({ code: 0, stderr: "" });
    const [[access, key]] = [...keystone.ec2];
    expect(keystone.ec2.size).toBe(1);
    expect(access).not.toBe(OLD.s3AccessKey);
    for (const ns of ["prow", "test-pods"]) {
      const text = decoded(await secret(workload, ns, "s3-credentials"));
      expect(text).toContain(access);
      expect(text).toContain(key);
    }
    expect(res.stderr).toContain("the new S3 credential reaches prow-logs, tide and status-reconciler");
    expect(res.stderr).toContain("the old EC2 credential is deleted in Keystone");
    for (const text of [res.stdout, res.stderr, argv, everywhere()]) {
      expect(text).not.toContain(OLD.s3SecretKey);
      expect(text).not.toContain(OLD.s3AccessKey);
    }
  });

  test("GIVEN the application credential's rotation stopped after the new one is in place THEN both work, and --resume revokes the old one", async () => {
    keystone.acceptApplicationCredentials = false;
    const stopped = await rotate(["openstackApplicationCredentialSecret"]);
    expect(stopped.result.code).toBe(1);
    expect(stopped.result.stderr).toContain("Keystone refuses the new application credential: the old one is kept");
    expect(stopped.result.stderr).toContain("secrets rotate --resume");
    expect(keystone.applicationCredentials.size).toBe(2);
    const [created] = [...keystone.applicationCredentials].filter(([id]) => id !== OLD.openstackApplicationCredentialId);
    expect(decoded(await secret(management, "default", "prow-cloud-config"))).toContain(created[1].secret);
    expect(decoded(await secret(workload, "kube-system", "cloud-config"))).toContain(created[0]);

    keystone.acceptApplicationCredentials = true;
    const { result: res, argv } = await watchingArgv(() => p.run(["--yes", "secrets", "rotate", "--resume"]));
    expect({ code: res.code, stderr: res.code === 0 ? "" : res.stderr }).toEqual({ code: 0, stderr: "" });
    expect([...keystone.applicationCredentials.keys()]).toEqual([created[0]]);
    expect(res.stderr).toContain("the old application credential is deleted in Keystone");
    for (const text of [stopped.result.stdout, stopped.result.stderr, res.stdout, res.stderr, argv, everywhere()]) expect(text).not.toContain(OLD.openstackApplicationCredentialSecret);
  });

  test("GIVEN the operator's password changed in OpenStack THEN rotating openstackPassword checks the new one with Keystone before it is kept", async () => {
    keystone.password = "NEW-rot-password-8a8a";
    const file = readFileSync(p.stackFile, "utf8");
    const typo = await rotate(["openstackPassword"], "NEW-rot-pasword-8a8a\n");
    expect(typo.result.code).toBe(3);
    expect(typo.result.stderr).toContain("Keystone refuses the new password");
    expect(readFileSync(p.stackFile, "utf8")).toBe(file);
    const ok = await rotate(["openstackPassword"], "NEW-rot-password-8a8a\n");
    expect({ code: ok.result.code, stderr: ok.result.code === 0 ? "" : ok.result.stderr }).toEqual({ code: 0, stderr: "" });
    expect(ok.result.stderr).toContain("Keystone logs the operator in with the new password");
    for (const text of [typo.result.stdout, typo.result.stderr, typo.argv, ok.result.stdout, ok.result.stderr, ok.argv, everywhere()]) expect(text).not.toContain(OLD.openstackPassword);
  });

  test("GIVEN a new kubeconfig for the workload cluster THEN it is checked against the API server, kept encrypted, and the next preview of its layers is clean", async () => {
    const kubeconfig = readFileSync(clusters.workload.kubeconfigPath, "utf8");
    const token = /token: (\S+)/.exec(kubeconfig)?.[1] ?? /client-key-data: (\S+)/.exec(kubeconfig)?.[1];
    const { result: res, argv } = await rotate(["workloadKubeconfig"], kubeconfig);
    expect({ code: res.code, stderr: res.code === 0 ? "" : res.stderr }).toEqual({ code: 0, stderr: "" });
    expect(res.stderr).toContain("the new workloadKubeconfig reaches its API server");
    expect(readFileSync(p.stackFile, "utf8")).toMatch(/prow-ops:workloadKubeconfig:\n\s+secure: v1:/);
    if (token) for (const text of [res.stdout, res.stderr, argv, readFileSync(p.stackFile, "utf8")]) expect(text).not.toContain(token);
    expect((await p.run(["preview", "--expect-no-changes", "--target", "prow"])).code).toBe(0);
  });
});
