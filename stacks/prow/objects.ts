/**
 * Prow (the reference's manifests/base + overlays/metal3): every component, the external
 * plugins, the overlay's patches and labels, the secrets, the ProwJob CRD and the
 * ConfigMaps built from config/.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { StackConfig } from "../../config/schema";
import type { KubeObject } from "../core/declared";
import { addCommonLabels, isKind, named, patchWhere, place, setArgs, setImages, setRequests } from "../core/patch";
import { fromRoot } from "../core/paths";
import { infraPlacement } from "../core/placement";
import { type SecretName, type SecretText, secretRef, secretText } from "../core/secret-text";
import { readManifests } from "../core/yaml";

export const PROW_NS = "prow";
export const TEST_PODS_NS = "test-pods";
export const COMMON_LABELS = { "app.kubernetes.io/instance": "metal3", "app.kubernetes.io/part-of": "prow" };
const PROW_IMAGES = "us-docker.pkg.dev/k8s-infra-prow/images/";

/** The files of manifests/base and the overlay's external plugins, in kustomization order. */
const MANIFEST_FILES = [
  "crier.yaml", "deck.yaml", "ghproxy.yaml", "hook.yaml", "horologium.yaml", "namespace.yaml", "prow-controller-manager.yaml",
  "sinker.yaml", "statusreconciler.yaml", "test-pods.yaml", "tide.yaml",
  "cherrypicker_deployment.yaml", "cherrypicker_service.yaml", "needs-rebase_deployment.yaml", "needs-rebase_service.yaml",
  "labels_cronjob.yaml", "jenkins-operator.yaml",
];

/** The overlay's per-component resource requests (patches/*.yaml). */
export const REQUESTS: Record<string, { cpu: string; memory: string }> = {
  crier: { cpu: "100m", memory: "60Mi" },
  deck: { cpu: "130m", memory: "80Mi" },
  ghproxy: { cpu: "120m", memory: "20Mi" },
  hook: { cpu: "120m", memory: "40Mi" },
  horologium: { cpu: "50m", memory: "25Mi" },
  "prow-controller-manager": { cpu: "130m", memory: "50Mi" },
  sinker: { cpu: "100m", memory: "50Mi" },
  statusreconciler: { cpu: "50m", memory: "20Mi" },
  tide: { cpu: "100m", memory: "120Mi" },
  cherrypicker: { cpu: "50m", memory: "20Mi" },
  "needs-rebase": { cpu: "50m", memory: "20Mi" },
  "jenkins-operator": { cpu: "50m", memory: "50Mi" },
};

/** Values the manifests take from the stack config: images, buckets, Jenkins, orgs. */
export function configure(objects: KubeObject[], c: StackConfig): KubeObject[] {
  const b = c.openstack.buckets;
  let out = objects.map((o) =>
    setImages(o, (image) => {
      if (image.startsWith(PROW_IMAGES)) return `${image.split(":")[0]}:${c.prow.imageTag}`;
      if (image.includes("/label_sync:")) return c.prow.labelSyncImage;
      return undefined;
    }),
  );
  out = patchWhere(out, named("Deployment", "tide"), (o) =>
    setArgs(o, "tide", { "--status-path": `s3://${b.tide}/tide-status`, "--history-uri": `s3://${b.tide}/tide-history.json` }),
  );
  out = patchWhere(out, named("Deployment", "statusreconciler"), (o) =>
    setArgs(o, "statusreconciler", { "--status-path": `s3://${b.statusReconciler}/status-reconciler-status` }),
  );
  out = patchWhere(out, named("Deployment", "jenkins-operator"), (o) =>
    setArgs(o, "jenkins-operator", { "--jenkins-url": c.prow.jenkins.url, "--jenkins-user": c.prow.jenkins.user }),
  );
  out = patchWhere(out, named("CronJob", "label-sync"), (o) => setArgs(o, "label-sync", { "--orgs": c.prow.orgs.join(",") }));
  return out;
}

export const ingress = (c: StackConfig): KubeObject => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { namespace: PROW_NS, name: "prow", annotations: { "cert-manager.io/cluster-issuer": "letsencrypt-http-prod" } },
  spec: {
    ingressClassName: "nginx",
    rules: [
      {
        host: c.prow.hostname,
        http: {
          paths: [
            { path: "/", pathType: "Prefix", backend: { service: { name: "deck", port: { number: 80 } } } },
            { path: "/hook", pathType: "Prefix", backend: { service: { name: "hook", port: { number: 8888 } } } },
          ],
        },
      },
    ],
    tls: [{ hosts: [c.prow.hostname], secretName: "metal3-io-tls" }],
  },
});

const pdb = (app: string): KubeObject => ({
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name: app, namespace: PROW_NS },
  spec: { minAvailable: 1, selector: { matchLabels: { app } } },
});

export const limitRange = (): KubeObject => ({
  apiVersion: "v1",
  kind: "LimitRange",
  metadata: { name: "default-requests", namespace: TEST_PODS_NS },
  spec: { limits: [{ defaultRequest: { cpu: "1000m", memory: "1Gi" }, type: "Container" }] },
});

/** S3 credentials in Prow's service-account.json format. */
export function serviceAccountJson(c: StackConfig): SecretText {
  return secretText`{
  "region": "${c.openstack.region}",
  "access_key": "${secretRef("s3AccessKey")}",
  "endpoint": "${c.openstack.s3Endpoint}",
  "insecure": false,
  "s3_force_path_style": true,
  "secret_key": "${secretRef("s3SecretKey")}"
}
`;
}

const secret = (name: string, namespace: string, key: string, value: SecretText): KubeObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace },
  type: "Opaque",
  data: { [key]: value.base64() },
});

const token = (name: SecretName) => secretText`${secretRef(name)}\n`;

/** The overlay's secretGenerator, fed from Pulumi config instead of files on disk. */
export function secrets(c: StackConfig): KubeObject[] {
  return [
    secret("github-token", PROW_NS, "token", token("githubToken")),
    secret("github-token", TEST_PODS_NS, "token", token("githubToken")),
    secret("hmac-token", PROW_NS, "hmac", token("hmacToken")),
    secret("s3-credentials", PROW_NS, "service-account.json", serviceAccountJson(c)),
    secret("s3-credentials", TEST_PODS_NS, "service-account.json", serviceAccountJson(c)),
    secret("cherrypick-bot-github-token", PROW_NS, "token", token("cherrypickBotToken")),
    secret("jenkins-token", PROW_NS, "token", token("jenkinsToken")),
  ];
}

/** Everything `kubectl apply -k manifests/overlays/metal3` creates, built from config. */
export function overlayObjects(c: StackConfig): KubeObject[] {
  const dir = fromRoot("stacks/prow/manifests");
  let objects = configure(MANIFEST_FILES.flatMap((f) => readManifests(join(dir, f))), c);
  objects = [...objects, ingress(c), pdb("hook"), pdb("deck"), limitRange(), ...secrets(c)];
  for (const [name, requests] of Object.entries(REQUESTS)) {
    objects = patchWhere(objects, named("Deployment", name, PROW_NS), (o) => setRequests(o, name, requests));
  }
  objects = patchWhere(objects, isKind("Deployment"), (o) => place(o, { ...infraPlacement(true), resetNodeSelector: true }));
  return addCommonLabels(objects, COMMON_LABELS);
}

const configMap = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: PROW_NS },
  data,
});

/** Every YAML file under config/jobs, keyed by file name as `kubectl create configmap --from-file` keys them. */
export function jobConfigData(jobsDir: string): Record<string, string> {
  const data: Record<string, string> = {};
  const origin: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith(".yaml") || entry.endsWith(".yml")) {
        const key = basename(path);
        if (origin[key]) throw new Error(`job config files ${origin[key]} and ${path} share the key ${key}; rename one of them`);
        origin[key] = path;
        data[key] = readFileSync(path, "utf8");
      }
    }
  };
  walk(jobsDir);
  return data;
}

/** The ConfigMaps of Prow's own config (config/): config, plugins, label-config, job-config. */
export function configMaps(configDir = fromRoot("config")): KubeObject[] {
  const file = (name: string) => ({ [name]: readFileSync(join(configDir, name), "utf8") });
  return [
    configMap("config", file("config.yaml")),
    configMap("plugins", file("plugins.yaml")),
    configMap("label-config", file("labels.yaml")),
    configMap("job-config", jobConfigData(join(configDir, "jobs"))),
  ];
}

export const prowObjects = (c: StackConfig, prowJobCrd: KubeObject[]): KubeObject[] => [...prowJobCrd, ...overlayObjects(c), ...configMaps()];
