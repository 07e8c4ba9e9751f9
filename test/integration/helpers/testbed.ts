/**
 * The integration test bed: two local control planes (bootstrap/management and workload),
 * the CRDs a real installation would already have, and a stack on a local file backend
 * with the passphrase secrets provider.
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { loadAll } from "js-yaml";
import { openStack, setSecret, toConfigMap } from "../../../cli/lib/automation";
import { MIRROR, SHARED, rawProdConfig } from "../../helpers/config";
import { type ControlPlane, startControlPlane } from "../../../cli/lib/sandbox/control-plane";
import { pulumiEnv, TOOLS } from "./tools";
import { installCrds as installCrdDocs } from "../../../cli/lib/sandbox/crds";

export const CANARY = {
  githubToken: "CANARY-it-github-3c1d",
  cherrypickBotToken: "CANARY-it-cherrypick-77aa",
  jenkinsToken: "CANARY-it-jenkins-0f0f",
  hmacToken: "CANARY-it-hmac-5e5e",
  s3AccessKey: "CANARY-it-s3-access-1b2b",
  s3SecretKey: "CANARY-it-s3-secret-9a9a",
  openstackApplicationCredentialId: "CANARY-it-appcred-id-4d4d",
  openstackApplicationCredentialSecret: "CANARY-it-appcred-secret-8c8c",
};

/** Applies every CRD document of the given files, labelled as clusterctl installs them. */
export function installCrds(cp: ControlPlane, files: string[]): void {
  installCrdDocs(cp, files.flatMap((f) => loadAll(readFileSync(f, "utf8")) as object[]));
}

const yamlIn = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".yaml")).map((f) => join(dir, f));

/** What `clusterctl init` leaves in a management cluster: the CAPI and CAPO CRDs. */
export const capiCrdFiles = () => [...yamlIn(join(SHARED, "crds/capi-v1.8.5")), ...yamlIn(join(SHARED, "crds/capo-v0.11.1"))];
/** cert-manager's CRDs, taken from the pinned release manifest. */
export const certManagerCrdFile = () => join(MIRROR, "cert-manager-v1.16.1/cert-manager.yaml");

export interface TestBed {
  management: ControlPlane;
  workload: ControlPlane;
  stack: Stack;
  stateDir: string;
  config: Record<string, unknown>;
  setConfig(values: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * No controllers or webhook servers run here, so the stack is configured with the two
 * test-bed options: skipAwait (Deployments never become ready) and webhookFailurePolicy
 * Ignore (no webhook pod answers). Production uses neither.
 */
export function testConfig(management: ControlPlane, workload: ControlPlane, layers: string[]): Record<string, unknown> {
  return {
    ...rawProdConfig(),
    layers,
    kubernetes: { management: { kubeconfig: management.kubeconfigPath }, workload: { kubeconfig: workload.kubeconfigPath }, skipAwait: true, webhookFailurePolicy: "Ignore" },
  };
}

/** Two control planes with the CRDs a real installation already has; stopped together on failure. */
export async function startClusters(name: string, o: { workloadControllers?: string[] } = {}): Promise<{ management: ControlPlane; workload: ControlPlane; stop(): Promise<void> }> {
  const management = await startControlPlane(`${name}-bootstrap`);
  const workload = await startControlPlane(`${name}-workload`, undefined, { controllers: o.workloadControllers }).catch(async (err) => {
    await management.stop();
    throw err;
  });
  const stop = async () => {
    await Promise.all([management.stop(), workload.stop()]);
  };
  try {
    installCrds(management, capiCrdFiles());
    installCrds(workload, [certManagerCrdFile()]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { management, workload, stop };
}

export async function startTestBed(layers: string[], name = "it"): Promise<TestBed> {
  const { management, workload, stop } = await startClusters(name);
  const stateDir = mkdtempSync(join(tmpdir(), "prow-ops-state-"));
  try {
    const stack = await openStack({
      stackName: name,
      backendUrl: `file://${stateDir}`,
      workDir: join(stateDir, "workspace"),
      pulumiRoot: TOOLS,
      env: { ...pulumiEnv(), PULUMI_CONFIG_PASSPHRASE: "integration-test-passphrase" },
      fetch: { mirror: MIRROR, cacheDir: join(stateDir, "manifests") },
    });
    const config = testConfig(management, workload, layers);
    await stack.setAllConfig(toConfigMap(config));
    for (const [k, v] of Object.entries(CANARY)) await setSecret(stack, k, v);
    const bed: TestBed = {
      management,
      workload,
      stack,
      stateDir,
      config,
      setConfig: async (values) => {
        Object.assign(bed.config, values);
        await stack.setAllConfig(toConfigMap(values));
      },
      stop,
    };
    return bed;
  } catch (err) {
    await stop();
    throw err;
  }
}
