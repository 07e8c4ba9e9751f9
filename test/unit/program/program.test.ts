import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../../stacks/core/errors";
import { program } from "../../../stacks/program";
import { MIRROR, rawProdConfig } from "../../helpers/config";
import { isSecretValue, type MockRun, reveal, runProgram } from "../../helpers/pulumi";

const CANARY = {
  githubToken: "CANARY-github-7f3a9",
  cherrypickBotToken: "CANARY-cherrypick-51c2e",
  jenkinsToken: "CANARY-jenkins-90d1b",
  hmacToken: "CANARY-hmac-e4b77",
  s3AccessKey: "CANARY-s3-access-2c8f0",
  s3SecretKey: "CANARY-s3-secret-b6a13",
  openstackApplicationCredentialId: "CANARY-appcred-id-113ab",
  openstackApplicationCredentialSecret: "CANARY-appcred-secret-ffe02",
  openstackPassword: "CANARY-os-password-7d21c",
};

/** The production config with the operator's OpenStack credentials as a user (its password is in CANARY). */
const withOperator = (openstack: Record<string, unknown>) => {
  const raw = rawProdConfig();
  raw.openstack = { ...(raw.openstack as object), ...openstack };
  return raw;
};

const fetch = () => ({ mirror: MIRROR, cacheDir: mkdtempSync(join(tmpdir(), "prow-ops-prog-")) });
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("the Pulumi program under mocks", () => {
  let run: MockRun;
  beforeAll(async () => {
    run = await runProgram(withOperator({ operatorUser: "maintainer" }), CANARY, () => program(fetch()));
  }, 60000);

  const find = (type: string, name: string) => run.resources.find((r) => r.type === type && r.name === name);
  /** The input, which must arrive as a secret, with its secret marker removed. */
  const secretInput = (type: string, name: string, key: string) => {
    const value = find(type, name)?.inputs[key];
    expect(isSecretValue(value)).toBe(true);
    return reveal(value) as Record<string, string>;
  };

  test("GIVEN the production config THEN each of the seven layers is a component", () => {
    const components = run.resources.filter((r) => r.type.startsWith("metal3:prow:")).map((r) => `${r.type} ${r.name}`);
    expect(components).toEqual([
      "metal3:prow:OpenStack openstack",
      "metal3:prow:GitHub github",
      "metal3:prow:ClusterApi capi",
      "metal3:prow:Cluster cluster",
      "metal3:prow:ClusterResources cluster-resources",
      "metal3:prow:Infra infra",
      "metal3:prow:Prow prow",
    ]);
  });

  test("THEN the management layers and the workload layers use different explicit providers, the management one with a fixed clusterIdentifier", () => {
    const providers = run.resources.filter((r) => r.type === "pulumi:providers:kubernetes");
    // Server-side apply for every object: the ProwJob and monitoring CRDs are too large for client-side apply.
    expect(providers.every((p) => p.inputs.enableServerSideApply === "true" || p.inputs.enableServerSideApply === true)).toBe(true);
    expect(providers.map((p) => [p.name, p.inputs.clusterIdentifier])).toEqual([
      ["management-cluster", "prow-management"],
      ["workload-cluster", "prow-workload"],
    ]);
    const cluster = find("kubernetes:cluster.x-k8s.io/v1beta1:Cluster", "cluster:default:prow");
    const deck = find("kubernetes:apps/v1:Deployment", "deployment:prow:deck");
    expect(cluster?.provider).toMatch(/management-cluster/);
    expect(deck?.provider).toMatch(/workload-cluster/);
  });

  test("THEN secrets from config reach the Kubernetes Secrets, clouds.yaml, cloud.conf and service-account.json", () => {
    const SECRET = "kubernetes:core/v1:Secret";
    expect(secretInput(SECRET, "secret:prow:github-token", "data")).toEqual({ token: b64(`${CANARY.githubToken}\n`) });
    expect(secretInput(SECRET, "secret:test-pods:github-token", "data")).toEqual({ token: b64(`${CANARY.githubToken}\n`) });
    expect(secretInput(SECRET, "secret:prow:hmac-token", "data")).toEqual({ hmac: b64(`${CANARY.hmacToken}\n`) });
    expect(secretInput(SECRET, "secret:prow:cherrypick-bot-github-token", "data")).toEqual({ token: b64(`${CANARY.cherrypickBotToken}\n`) });
    expect(secretInput(SECRET, "secret:prow:jenkins-token", "data")).toEqual({ token: b64(`${CANARY.jenkinsToken}\n`) });
    const s3 = secretInput(SECRET, "secret:test-pods:s3-credentials", "data");
    const json = JSON.parse(Buffer.from(s3["service-account.json"], "base64").toString());
    expect(json).toMatchObject({ access_key: CANARY.s3AccessKey, secret_key: CANARY.s3SecretKey, endpoint: "https://xerces.ericsson.net:7480", s3_force_path_style: true });
    const cloudsYaml = Buffer.from(secretInput(SECRET, "secret:default:prow-cloud-config", "data")["clouds.yaml"], "base64").toString();
    expect(cloudsYaml).toContain(`application_credential_secret: ${CANARY.openstackApplicationCredentialSecret}`);
    const cloudConf = Buffer.from(secretInput(SECRET, "secret:kube-system:cloud-config", "data")["cloud.conf"], "base64").toString();
    expect(cloudConf).toContain(`application-credential-id=${CANARY.openstackApplicationCredentialId}`);
  });

  test("THEN the GitHub webhooks carry the HMAC token and the S3 lifecycle gets the keys through its environment, not its command line", () => {
    const hook = find("github:index/organizationWebhook:OrganizationWebhook", "webhook-metal3-io");
    expect(reveal(hook?.inputs.configuration)).toMatchObject({ url: "https://prow.apps.test.metal3.io/hook", contentType: "json", secret: CANARY.hmacToken });
    expect(hook?.inputs.events).toEqual(["*"]);
    const lifecycle = find("command:local:Command", "prow-logs-retention");
    expect(reveal(lifecycle?.inputs.environment)).toEqual({ AWS_ACCESS_KEY_ID: CANARY.s3AccessKey, AWS_SECRET_ACCESS_KEY: CANARY.s3SecretKey });
    expect(JSON.stringify(lifecycle?.inputs.create)).not.toContain("CANARY");
  });

  test("THEN no secret value reaches the stack outputs or the logs", () => {
    const text = JSON.stringify(run.outputs) + run.logs.join("\n");
    for (const value of Object.values(CANARY)) expect(text).not.toContain(value);
  });

});

describe("secrets the stack creates itself", () => {
  test("GIVEN no overrides for the generated credentials WHEN the program runs THEN the created resources' outputs are used", async () => {
    const { githubToken, cherrypickBotToken, jenkinsToken } = CANARY;
    const run = await runProgram(withOperator({ operatorCloud: "xerces" }), { githubToken, cherrypickBotToken, jenkinsToken }, () => program(fetch()));
    const hmac = run.resources.find((r) => r.name === "secret:prow:hmac-token");
    expect(reveal(hmac?.inputs.data)).toEqual({ hmac: b64("created-hmac-hex\n") });
    const random = run.resources.find((r) => r.type === "random:index/randomBytes:RandomBytes");
    expect(random?.inputs.length).toBe(20);
    const s3 = run.resources.find((r) => r.name === "secret:prow:s3-credentials");
    const data = reveal(s3?.inputs.data) as Record<string, string>;
    const json = JSON.parse(Buffer.from(data["service-account.json"], "base64").toString());
    expect(json).toMatchObject({ access_key: "created-access", secret_key: "created-secret" });
  }, 60000);
});

describe("bad config", () => {
  test("GIVEN an invalid value WHEN the program runs THEN it fails with the key named and declares nothing", async () => {
    const raw = rawProdConfig();
    (raw.cluster as Record<string, unknown>).allowedCIDRs = ["10.6.0.0/33"];
    let run: MockRun | undefined;
    await expect(
      runProgram(raw, CANARY, async () => {
        const out = await program(fetch());
        return out;
      }).then((r) => {
        run = r;
      }),
    ).rejects.toThrow(ConfigError);
    expect(run).toBeUndefined();
  });
});
