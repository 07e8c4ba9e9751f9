/**
 * What the engine is told to encrypt: every output that carries a secret must be registered
 * as secret, and the openstack layer's provider must be configured from the stack.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { declareAll } from "../../../cli/lib/render";
import { ConfigError } from "../../../stacks/core/errors";
import { type SecretText, mapSecretTexts } from "../../../stacks/core/secret-text";
import { program } from "../../../stacks/program";
import { CRD_RESOURCE_TYPE } from "../../../stacks/program/crd-resource";
import { SECRET_OUTPUTS } from "../../../stacks/program/secret-outputs";
import { CREATED_BY } from "../../../stacks/program/secrets";
import { MIRROR, prodConfig, rawProdConfig } from "../../helpers/config";
import { isSecretValue, type MockRun, reveal, runProgram } from "../../helpers/pulumi";

const SECRETS = { githubToken: "CANARY-gh-1", cherrypickBotToken: "CANARY-cp-2", jenkinsToken: "CANARY-jk-3", openstackPassword: "CANARY-os-4" };
const fetch = () => ({ mirror: MIRROR, cacheDir: mkdtempSync(join(tmpdir(), "prow-ops-secout-")) });
const withOpenstack = (extra: Record<string, unknown>, layers?: string[]) => {
  const raw = rawProdConfig();
  raw.openstack = { ...(raw.openstack as object), ...extra };
  if (layers) raw.layers = layers;
  return raw;
};
const openstackOnly = (extra: Record<string, unknown> = {}) => withOpenstack(extra, ["openstack"]);

describe("secret outputs of every resource of every layer", () => {
  let run: MockRun;
  beforeAll(async () => {
    run = await runProgram(withOpenstack({ operatorUser: "maintainer" }), SECRETS, () => program(fetch()));
  }, 60000);

  test("GIVEN the secrets table WHEN the stack creates a secret itself THEN the output it is read from is registered as secret", () => {
    const entries = Object.entries(CREATED_BY);
    expect(entries.length).toBeGreaterThan(0);
    for (const [secret, [, declaration, output]] of entries as Array<[string, [string, string, string]]>) {
      const resource = run.resources.find((r) => r.name === declaration);
      expect({ secret, declared: resource !== undefined }).toEqual({ secret, declared: true });
      if (output === "id") {
        // Ids cannot be encrypted: the decision must say why this one may stay plain.
        expect({ secret, plainId: SECRET_OUTPUTS[resource?.type ?? ""]?.plainId }).toEqual({ secret, plainId: expect.stringContaining("unencrypted") });
        continue;
      }
      expect({ secret, output, secretOutputs: resource?.secretOutputs }).toEqual({ secret, output, secretOutputs: expect.arrayContaining([output]) });
    }
  });

  test("THEN every resource registers each output its type's decision lists as secret", () => {
    const missing = run.resources
      .filter((r) => SECRET_OUTPUTS[r.type])
      .flatMap((r) => SECRET_OUTPUTS[r.type].secret.filter((o) => !r.secretOutputs.includes(o)).map((o) => `${r.type} ${r.name}: ${o}`));
    expect(missing).toEqual([]);
    // The HMAC token's every encoding, and the S3 access key the SDK leaves plain.
    expect(run.resources.find((r) => r.type === "random:index/randomBytes:RandomBytes")?.secretOutputs).toEqual(expect.arrayContaining(["hex", "base64"]));
    expect(run.resources.find((r) => r.type === "openstack:identity/ec2CredentialV3:Ec2CredentialV3")?.secretOutputs).toEqual(expect.arrayContaining(["access", "secret"]));
  });

  test("THEN every non-Kubernetes resource type a layer declares has a decision", () => {
    const types = new Set(run.resources.map((r) => r.type).filter((t) => !t.startsWith("metal3:prow:") && !t.startsWith("pulumi:providers:") && !t.startsWith("kubernetes:")));
    expect([...types].filter((t) => !SECRET_OUTPUTS[t])).toEqual([]);
    expect(types.size).toBeGreaterThanOrEqual(6);
  });

  test("THEN a secret placed in a Kubernetes object is only ever in a Secret", async () => {
    const layers = await declareAll(prodConfig(), fetch());
    const holders = new Set<string>();
    for (const { declared } of layers) {
      for (const d of declared) {
        if (d.kind !== "kubernetes") continue;
        mapSecretTexts(d.object, (t: SecretText) => {
          if (t.secretsUsed().length) holders.add(d.object.kind);
          return t;
        });
      }
    }
    expect([...holders]).toEqual(["Secret"]);
  });

  test("THEN the CRDs go through the explicit dynamic provider, which gets no configuration (the default one would hold the whole stack config in the state)", () => {
    const crds = run.resources.filter((r) => r.type === CRD_RESOURCE_TYPE);
    expect(crds.length).toBeGreaterThan(40);
    for (const r of crds) expect(r.provider).toMatch(/::pulumi:providers:pulumi-nodejs::crds::/);
    const provider = run.resources.find((r) => r.type === "pulumi:providers:pulumi-nodejs");
    expect(provider?.inputs).toEqual({});
  });

  test("THEN the providers get their credentials as secrets", () => {
    const github = run.resources.filter((r) => r.type === "pulumi:providers:github");
    expect(github.length).toBeGreaterThan(0);
    for (const p of github) expect(isSecretValue(p.inputs.token)).toBe(true);
    const openstack = run.resources.find((r) => r.type === "pulumi:providers:openstack");
    expect(isSecretValue(openstack?.inputs.password)).toBe(true);
    expect(reveal(openstack?.inputs.password)).toBe(SECRETS.openstackPassword);
  });
});

describe("the openstack layer's provider", () => {
  const OS_CLOUD = process.env.OS_CLOUD;
  beforeEach(() => {
    delete process.env.OS_CLOUD;
  });
  afterAll(() => {
    if (OS_CLOUD === undefined) delete process.env.OS_CLOUD;
    else process.env.OS_CLOUD = OS_CLOUD;
  });

  const openstackResources = (run: MockRun) => run.resources.filter((r) => r.type.startsWith("openstack:"));

  test("GIVEN a user and the openstackPassword secret WHEN the program runs THEN the explicit provider gets the stack's auth URL, region, project and domain", async () => {
    const run = await runProgram(openstackOnly({ operatorUser: "maintainer" }), SECRETS, () => program(fetch()));
    const provider = run.resources.find((r) => r.type === "pulumi:providers:openstack");
    expect(reveal(provider?.inputs)).toMatchObject({
      authUrl: "https://xerces.ericsson.net:5000",
      region: "RegionOne",
      tenantId: "51faa3170dfc4990b6654346c2bf2243",
      tenantName: "EST_Metal3_CI",
      userDomainName: "xerces",
      projectDomainName: "xerces",
      userName: "maintainer",
    });
    expect(provider?.inputs.cloud).toBeUndefined();
    const resources = openstackResources(run);
    expect(resources.length).toBeGreaterThanOrEqual(5);
    for (const r of resources) expect(r.provider).toMatch(/::pulumi:providers:openstack::openstack::/);
  }, 60000);

  test("GIVEN OS_CLOUD WHEN the program runs THEN the provider reads that cloud of clouds.yaml, with the stack's auth URL and region", async () => {
    process.env.OS_CLOUD = "xerces-maintainer";
    const run = await runProgram(openstackOnly(), {}, () => program(fetch()));
    const provider = run.resources.find((r) => r.type === "pulumi:providers:openstack");
    expect(reveal(provider?.inputs)).toMatchObject({ cloud: "xerces-maintainer", authUrl: "https://xerces.ericsson.net:5000", region: "RegionOne" });
    expect(provider?.inputs.password).toBeUndefined();
  }, 60000);

  test("GIVEN no OpenStack credentials at all WHEN the program runs THEN it fails naming what to set, before any resource", async () => {
    const registered: MockRun["resources"] = [];
    const attempt = runProgram(openstackOnly(), {}, () => program(fetch()), registered);
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow(/openstack\.operatorUser and the secret openstackPassword .* OS_CLOUD=<name> or prow-ops:openstack\.operatorCloud/);
    expect(registered).toEqual([]);
  }, 60000);

  test("GIVEN the password but no user THEN the message names openstack.operatorUser", async () => {
    await expect(runProgram(openstackOnly(), SECRETS, () => program(fetch()))).rejects.toThrow(/set prow-ops:openstack\.operatorUser/);
  }, 60000);
});
