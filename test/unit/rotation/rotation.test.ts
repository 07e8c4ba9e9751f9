import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rotationPlan } from "../../../cli/runbooks/secrets-rotate";
import { secretsReadBy } from "../../../cli/lib/rotation/consumers";
import { fingerprint, ROTATIONS } from "../../../cli/lib/rotation/kinds";
import { RESTARTED_BY, rolledOut } from "../../../cli/lib/rotation/restart";
import { readStackFile } from "../../../config/load";
import { SECRET_NAMES, type SecretName } from "../../../stacks/core/secret-text";
import { program } from "../../../stacks/program";
import { MIRROR, PROD_STACK_FILE, rawProdConfig } from "../../helpers/config";
import { type Registered, reveal, runProgram } from "../../helpers/pulumi";

const OLD: Record<string, string> = {
  githubToken: "OLD-github-7f3a9",
  cherrypickBotToken: "OLD-cherrypick-51c2e",
  jenkinsToken: "OLD-jenkins-90d1b",
  hmacToken: "OLD-hmac-e4b77",
  s3AccessKey: "OLD-s3-access-2c8f0",
  s3SecretKey: "OLD-s3-secret-b6a13",
  openstackApplicationCredentialId: "OLD-appcred-id-113ab",
  openstackApplicationCredentialSecret: "OLD-appcred-secret-ffe02",
  openstackPassword: "OLD-os-password-7d21c",
};
const NEW = (name: string) => `NEW-${name}-0c0c`;

const prodConfig = () => {
  const raw = rawProdConfig();
  raw.openstack = { ...(raw.openstack as object), operatorUser: "maintainer" };
  return raw;
};
const fetch = () => ({ mirror: MIRROR, cacheDir: mkdtempSync(join(tmpdir(), "prow-ops-rot-")) });
const text = (r: Registered) => JSON.stringify(reveal(r.inputs), (_k, v) => (typeof v === "string" && /^[A-Za-z0-9+/=]{16,}$/.test(v) ? `${v}|${Buffer.from(v, "base64").toString("utf8")}` : v));

describe("secrets rotate: what each secret reaches", () => {
  beforeAll(() => {
    process.env.PROW_OPS_MIRROR = MIRROR;
  });

  test("GIVEN the production stack THEN each rotation lists exactly the objects of the reference that hold the secret, and the workloads that read them", async () => {
    const config = readStackFile(PROD_STACK_FILE);
    const plan = async (n: SecretName) => {
      const p = await rotationPlan(config, n);
      return { changes: p.consumers.map((c) => `${c.layer}: ${c.what}`), restarts: p.targets.map((t) => `${t.kind} ${t.namespace}/${t.name}`) };
    };
    expect(await plan("hmacToken")).toEqual({
      changes: [
        "github: OrganizationWebhook webhook-metal3-io",
        "github: RepositoryWebhook webhook-Nordix-metal3-dev-tools",
        "github: RepositoryWebhook webhook-Nordix-metal3-clusterapi-docs",
        "github: RepositoryWebhook webhook-Nordix-sles-ironic-python-agent-builder",
        "prow: Secret prow/hmac-token",
      ],
      restarts: ["Deployment prow/hook", "Deployment prow/cherrypicker", "Deployment prow/needs-rebase"],
    });
    expect(await plan("s3SecretKey")).toEqual({
      changes: ["openstack: Command prow-logs-retention", "prow: Secret prow/s3-credentials", "prow: Secret test-pods/s3-credentials"],
      restarts: ["Deployment prow/crier", "Deployment prow/deck", "Deployment prow/statusreconciler", "Deployment prow/tide"],
    });
    expect(await plan("openstackApplicationCredentialId")).toEqual({
      changes: ["cluster: Secret default/prow-cloud-config", "cluster-resources: Secret kube-system/cloud-config"],
      restarts: ["DaemonSet kube-system/openstack-cloud-controller-manager", "Deployment kube-system/csi-cinder-controllerplugin", "DaemonSet kube-system/csi-cinder-nodeplugin"],
    });
    expect((await plan("jenkinsToken")).restarts).toEqual(["Deployment prow/jenkins-operator"]);
    // every secret has a rotation, and a key pair rotates together
    expect(Object.keys(ROTATIONS).sort()).toEqual([...SECRET_NAMES].sort());
    expect(ROTATIONS.s3AccessKey.group).toEqual(ROTATIONS.s3SecretKey.group);
  }, 60000);

  test.each(["hmacToken", "s3AccessKey", "openstackApplicationCredentialSecret", "githubToken", "cherrypickBotToken", "jenkinsToken"] as SecretName[])(
    "GIVEN %s rotated under Pulumi mocks THEN the program changes exactly the planned consumers, each holding the new value and none the old",
    async (name) => {
      const group = ROTATIONS[name].group;
      const before = await runProgram(prodConfig(), OLD, () => program(fetch()));
      const after = await runProgram(prodConfig(), { ...OLD, ...Object.fromEntries(group.map((n) => [n, NEW(n)])) }, () => program(fetch()));
      const key = (r: Registered) => `${r.type}::${r.name}`;
      const old = new Map(before.resources.map((r) => [key(r), text(r)]));
      const changed = after.resources.filter((r) => old.get(key(r)) !== text(r) && !r.type.startsWith("pulumi:providers:"));
      const plan = await rotationPlan(readStackFile(PROD_STACK_FILE), name);
      expect(changed.length).toBe(plan.consumers.length);
      for (const r of changed) {
        for (const n of group) {
          expect(text(r)).toContain(NEW(n));
          expect(text(r)).not.toContain(OLD[n]);
        }
      }
    },
    120000,
  );

  test("GIVEN both application credential secrets set in the config THEN the stack no longer declares the credential it would create (so an up revokes it)", async () => {
    const run = await runProgram(prodConfig(), OLD, () => program(fetch()));
    expect(run.resources.filter((r) => r.type.startsWith("openstack:identity/"))).toEqual([]);
    expect(run.resources.some((r) => r.type === "random:index/randomBytes:RandomBytes")).toBe(false);
    const { s3AccessKey: _a, s3SecretKey: _s, ...withoutS3 } = OLD;
    const partial = await runProgram(prodConfig(), withoutS3, () => program(fetch()));
    expect(partial.resources.filter((r) => r.type.startsWith("openstack:identity/")).map((r) => r.name)).toEqual(["s3-credential"]);
  }, 60000);
});

describe("secrets rotate: restarts and fingerprints", () => {
  test("GIVEN pod templates THEN the Secrets they read are found in volumes, projected volumes, env and envFrom", () => {
    const o = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "x" },
      spec: {
        template: {
          spec: {
            volumes: [{ secret: { secretName: "a" } }, { projected: { sources: [{ secret: { name: "b" } }, { configMap: { name: "c" } }] } }],
            containers: [{ env: [{ valueFrom: { secretKeyRef: { name: "d" } } }, { value: "e" }], envFrom: [{ secretRef: { name: "f" } }] }],
            initContainers: [{ envFrom: [{ secretRef: { name: "a" } }] }],
          },
        },
      },
    };
    expect(secretsReadBy(o).sort()).toEqual(["a", "b", "d", "f"]);
  });

  test("GIVEN a workload's status THEN its roll is finished only as kubectl rollout status says", () => {
    const deployment = (status: Record<string, number>, generation = 2) => ({ kind: "Deployment", metadata: { name: "d", generation }, spec: { replicas: 2, template: { metadata: { annotations: { [RESTARTED_BY]: "r" } } } }, status });
    expect(rolledOut(deployment({ observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }))).toBe(false);
    expect(rolledOut(deployment({ observedGeneration: 2, updatedReplicas: 1, replicas: 3, availableReplicas: 2 }))).toBe(false);
    expect(rolledOut(deployment({ observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }))).toBe(true);
    // a DaemonSet on no node: the API omits the zero counts
    expect(rolledOut({ kind: "DaemonSet", metadata: { name: "ds", generation: 2 }, status: { observedGeneration: 2, desiredNumberScheduled: 0 } })).toBe(true);
    expect(rolledOut({ kind: "DaemonSet", metadata: { name: "ds", generation: 2 }, status: { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 } })).toBe(false);
  });

  test("GIVEN a value THEN its fingerprint depends on the run, and reveals neither the value nor its length", () => {
    expect(fingerprint("run-a", "secret")).not.toBe(fingerprint("run-b", "secret"));
    expect(fingerprint("run-a", "secret")).toHaveLength(16);
    expect(fingerprint("run-a", "x".repeat(200))).toHaveLength(16);
  });
});
