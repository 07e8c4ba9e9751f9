/**
 * Cluster API's own core controller manager (sigs.k8s.io/cluster-api at the pinned release,
 * built by the test bed) run against a local control plane: the Cluster, MachineDeployment →
 * MachineSet → Machine and Machine controllers (drain, volume detach, Node deletion in the
 * workload cluster) and its defaulting/validating webhooks, registered with the API server by
 * URL since no Service routes here. Providers (bootstrap, control plane, infrastructure) are
 * not part of it: the CAPI simulator plays them.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Kube, KubeObject } from "../../../stacks/core/kube-client";
import { type ControlPlane, freePort, launch, servingCertificate, stopProcess } from "./control-plane";
import { sandboxTool as tool } from "./tools";

export interface CapiManager {
  /** The manager's log (klog text). */
  log: string;
  stop(): Promise<void>;
}

/** The kinds whose webhooks the manager serves for the v1beta1 API this installation uses. */
const WEBHOOK_KINDS = ["cluster", "machine", "machinedeployment", "machineset", "machinehealthcheck"];
const WEBHOOK_NAME = "prow-ops-local-capi-webhooks";

function webhookConfiguration(kind: "Mutating" | "Validating", url: string, caBundle: string): KubeObject {
  const verb = kind === "Mutating" ? "mutate" : "validate";
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: `${kind}WebhookConfiguration`,
    metadata: { name: WEBHOOK_NAME },
    webhooks: WEBHOOK_KINDS.map((k) => ({
      name: `${kind === "Mutating" ? "default" : "validation"}.${k}.cluster.x-k8s.io`,
      admissionReviewVersions: ["v1", "v1beta1"],
      sideEffects: "None",
      failurePolicy: "Fail",
      matchPolicy: "Equivalent",
      clientConfig: { url: `${url}/${verb}-cluster-x-k8s-io-v1beta1-${k}`, caBundle },
      rules: [{ apiGroups: ["cluster.x-k8s.io"], apiVersions: ["v1beta1"], operations: ["CREATE", "UPDATE"], resources: [`${k}s`] }],
    })),
  };
}

const WEBHOOK_PATHS = {
  Mutating: "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
  Validating: "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
} as const;

export async function startCapiManager(cp: ControlPlane, kube: Kube): Promise<CapiManager> {
  const dir = mkdtempSync(join(cp.dir, "capi-manager-"));
  const [webhookPort, healthPort] = await Promise.all([freePort(), freePort()]);
  const tls = servingCertificate(dir, "webhook", ["127.0.0.1"]);
  const log = join(dir, "manager.log");
  const child: ChildProcess = launch(
    [
      tool("capi-controller-manager"),
      "--leader-elect=false",
      `--webhook-port=${webhookPort}`,
      `--webhook-cert-dir=${dir}`,
      "--webhook-cert-name=webhook.crt",
      "--webhook-key-name=webhook.key",
      `--health-addr=127.0.0.1:${healthPort}`,
      "--diagnostics-address=0",
      // The kubelets here are played: Machines come and go in seconds, so do not wait minutes.
      "--sync-period=30s",
    ],
    log,
    { ...process.env, KUBECONFIG: cp.kubeconfigPath },
  );
  const stop = async () => {
    // Webhooks first: with failurePolicy Fail they would refuse every write once the server is gone.
    for (const path of Object.values(WEBHOOK_PATHS)) await kube.remove(`${path}/${WEBHOOK_NAME}`).catch(() => undefined);
    await stopProcess(child, 10_000);
  };
  try {
    const deadline = Date.now() + 90_000;
    // readyz turns 200 once the webhook server listens (the manager's own check).
    while (!(await fetch(`http://127.0.0.1:${healthPort}/readyz`).then((r) => r.ok, () => false))) {
      if (child.exitCode !== null) throw new Error(`capi-controller-manager exited (${child.exitCode}): ${readFileSync(log, "utf8").split("\n").slice(-15).join("\n")}`);
      if (Date.now() > deadline) throw new Error(`capi-controller-manager not ready after 90 s (see ${log})`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const caBundle = readFileSync(tls.ca).toString("base64");
    for (const kind of ["Mutating", "Validating"] as const) await kube.write("POST", WEBHOOK_PATHS[kind], webhookConfiguration(kind, `https://127.0.0.1:${webhookPort}`, caBundle));
    return { log, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
