/**
 * The hand-run reference system, built the way its README does it — offline:
 *
 * - the five kustomizations (`kubectl apply -k capi | capo-cluster | cluster-resources | infra
 *   | manifests/overlays/metal3`) are built with `kubectl kustomize`, after the README's
 *   heredoc/echo secret files are written (with canary values) and every remote resource URL is
 *   pointed at its pinned offline copy in <shared>/upstream;
 * - the ProwJob CRD (`kubectl apply --server-side -f <prow repo URL>`) is the pinned copy;
 * - kube-prometheus (`kubectl apply -f manifests/setup; -f manifests; -f prow-rules.yaml`) is
 *   parsed the way `kubectl apply -f` reads files and folders;
 * - the four ConfigMaps (`kubectl -n prow create configmap ... --from-file`) come from kubectl
 *   itself (`--dry-run=client -o yaml`).
 *
 * The build runs once per test file (memoized) and takes a few seconds.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { load } from "js-yaml";
import { declareAll } from "../../cli/lib/render";
import type { LayerName } from "../../config/schema";
import type { KubeObject } from "../../stacks/core/declared";
import { mapSecretTexts, type SecretName, type SecretText } from "../../stacks/core/secret-text";
import { parseManifests } from "../../stacks/core/yaml";
import { MIRROR, PROJECT_ROOT, prodConfig, SHARED } from "./config";

const run = promisify(execFile);

export const REFERENCE_DIR = join(SHARED, "reference", "metal3-project-infra-prow");

/** The kustomizations the README applies with `kubectl apply -k`. */
export const KUSTOMIZATIONS = ["capi", "capo-cluster", "cluster-resources", "infra", "manifests/overlays/metal3"] as const;
export type Kustomization = (typeof KUSTOMIZATIONS)[number];

/** Everything the reference applies, grouped by how the README applies it. */
export interface ReferenceBuild {
  kustomize: Record<Kustomization, KubeObject[]>;
  prowJobCrd: KubeObject[];
  kubePrometheus: KubeObject[];
  configMaps: KubeObject[];
  /** The secret files written from the README's heredocs (path relative to the reference root → content). */
  secretFiles: Record<string, string>;
}

/**
 * Remote resources of the kustomizations → their offline copies (relative to <shared>/upstream),
 * per <shared>/upstream/README.md. cert-manager v1.16.0 is not available: the project pins the
 * v1.16.1 release file instead (see that README), so the reference is built with it as well.
 * A folder stands for a remote kustomize base.
 */
export const REMOTE_RESOURCES: Record<string, string> = {
  "https://github.com/cert-manager/cert-manager/releases/download/v1.16.0/cert-manager.yaml": "cert-manager-v1.16.1/cert-manager.yaml",
  "https://github.com/kubernetes-sigs/cluster-api-operator/releases/download/v0.14.0/operator-components.yaml": "cluster-api-operator-v0.14.0/operator-components.yaml",
  "https://raw.githubusercontent.com/projectcalico/calico/v3.28.2/manifests/calico.yaml": "calico-v3.28.2/calico.yaml",
  ...Object.fromEntries(
    [
      "controller-manager/cloud-controller-manager-roles.yaml",
      "controller-manager/cloud-controller-manager-role-bindings.yaml",
      "controller-manager/openstack-cloud-controller-manager-ds.yaml",
      "cinder-csi-plugin/cinder-csi-controllerplugin-rbac.yaml",
      "cinder-csi-plugin/cinder-csi-controllerplugin.yaml",
      "cinder-csi-plugin/cinder-csi-nodeplugin-rbac.yaml",
      "cinder-csi-plugin/cinder-csi-nodeplugin.yaml",
      "cinder-csi-plugin/csi-cinder-driver.yaml",
    ].map((p) => [`https://raw.githubusercontent.com/kubernetes/cloud-provider-openstack/v1.30.1/manifests/${p}`, `cloud-provider-openstack-v1.30.1/${p.split("/")[1]}`]),
  ),
  "https://github.com/kubernetes/ingress-nginx/deploy/static/provider/cloud?ref=controller-v1.10.4": "ingress-nginx-controller-v1.10.4",
};

/** The files of the upstream ingress-nginx kustomize base (the rendered copy is not part of it). */
const KUSTOMIZE_BASE_FILES = ["kustomization.yaml", "deploy.yaml"];

/** The README's environment variables → the project's secret names. */
export const README_VARIABLES: Record<string, SecretName> = {
  APP_CRED_ID: "openstackApplicationCredentialId",
  APP_CRED_SECRET: "openstackApplicationCredentialSecret",
  S3_ACCESS_KEY: "s3AccessKey",
  S3_SECRET_KEY: "s3SecretKey",
  HMAC_TOKEN: "hmacToken",
  GITHUB_TOKEN: "githubToken",
  CHERRYPICK_TOKEN: "cherrypickBotToken",
  JENKINS_TOKEN: "jenkinsToken",
};

/** The secret files the README's "Generate secret files" section creates. */
export const SECRET_FILES = [
  "capo-cluster/clouds.yaml",
  "cluster-resources/cloud.conf",
  "manifests/overlays/metal3/service-account.json",
  "manifests/overlays/metal3/hmac-token",
  "manifests/overlays/metal3/github-token",
  "manifests/overlays/metal3/cherrypick-bot-github-token",
  "manifests/overlays/metal3/jenkins-token",
];

const SUFFIX = randomBytes(6).toString("hex");
/** Canary secret values, one per secret, unique to this test run: `CANARY-<name>-<random>`. */
export const canary = (name: SecretName): string => `CANARY-${name}-${SUFFIX}`;

/** kubectl: the project's pinned one under .tools/bin when present, else the one on PATH. */
export function kubectlPath(): string {
  const local = join(PROJECT_ROOT, ".tools", "bin", "kubectl");
  return existsSync(local) ? local : "kubectl";
}

/** Copies a tree with fresh (writable) files: the shared reference is read-only. */
function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dst);
    else if (entry.isFile()) writeFileSync(dst, readFileSync(src));
  }
}

/**
 * The README's secret files: every `cat > PATH <<EOF ... EOF` heredoc and every
 * `echo "${VAR}" > PATH` inside its fenced shell blocks, with the fence's indentation removed
 * and each `${VAR}` replaced by that secret's canary.
 */
export function readmeSecretFiles(readme: string): Record<string, string> {
  const substitute = (text: string) =>
    text.replace(/\$\{([A-Z0-9_]+)\}/g, (_, v: string) => {
      const name = README_VARIABLES[v];
      if (!name) throw new Error(`README uses \${${v}}, which has no canary`);
      return canary(name);
    });
  const files: Record<string, string> = {};
  const fence = /^( *)```(?:bash|shell|sh)\n([\s\S]*?)^\1```/gm;
  for (const block of readme.matchAll(fence)) {
    const indent = block[1].length;
    const lines = block[2].split("\n").map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)));
    for (let i = 0; i < lines.length; i++) {
      const heredoc = lines[i].match(/^cat > (\S+) <<EOF$/);
      if (heredoc) {
        const end = lines.indexOf("EOF", i + 1);
        if (end < 0) throw new Error(`README heredoc for ${heredoc[1]} has no EOF`);
        files[heredoc[1]] = substitute(`${lines.slice(i + 1, end).join("\n")}\n`);
        i = end;
        continue;
      }
      const echo = lines[i].match(/^echo "([^"]*)" > (\S+)$/);
      if (echo) files[echo[2]] = `${substitute(echo[1])}\n`;
    }
  }
  return files;
}

/** Points every remote resource at a copy of its offline file inside the kustomization (kustomize only loads files below its root). */
function localizeRemoteResources(dir: string): void {
  const file = join(dir, "kustomization.yaml");
  let text = readFileSync(file, "utf8");
  const doc = load(text) as { resources?: string[] };
  for (const resource of doc.resources ?? []) {
    if (!/^https?:\/\//.test(resource)) continue;
    const upstream = REMOTE_RESOURCES[resource];
    if (!upstream) throw new Error(`${file}: remote resource ${resource} has no offline copy in REMOTE_RESOURCES`);
    const src = join(MIRROR, upstream);
    const local = join("_upstream", upstream);
    if (statSync(src).isDirectory()) {
      mkdirSync(join(dir, local), { recursive: true });
      for (const f of KUSTOMIZE_BASE_FILES) writeFileSync(join(dir, local, f), readFileSync(join(src, f)));
    } else {
      mkdirSync(dirname(join(dir, local)), { recursive: true });
      writeFileSync(join(dir, local), readFileSync(src));
    }
    text = text.split(`- ${resource}\n`).join(`- ${local}\n`);
  }
  if (((load(text) as { resources?: string[] }).resources ?? []).some((r) => /^https?:\/\//.test(r))) throw new Error(`${file}: a remote resource is left`);
  writeFileSync(file, text);
}

/** `kubectl apply -f DIR` reads the folder's .json/.yaml/.yml files (not sub-folders) in name order. */
function applyFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => /\.(json|ya?ml)$/.test(f) && statSync(join(path, f)).isFile())
    .sort()
    .map((f) => join(path, f));
}

const objectKey = (o: KubeObject) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/** Successive `kubectl apply -f` runs: Lists unrolled; an object applied again replaces the earlier one. */
export function kubectlApplyFiles(paths: string[]): KubeObject[] {
  const applied = new Map<string, KubeObject>();
  for (const file of paths.flatMap(applyFiles)) {
    for (const o of parseManifests(readFileSync(file, "utf8"), file)) {
      applied.delete(objectKey(o));
      applied.set(objectKey(o), o);
    }
  }
  return [...applied.values()];
}

/** `kubectl create --dry-run=client -o yaml` prints `creationTimestamp: null`; the API server sets the real one. */
function withoutNullTimestamp(o: KubeObject): KubeObject {
  if (o.metadata.creationTimestamp === null) delete o.metadata.creationTimestamp;
  return o;
}

/** Job files of this project that the hand-run system does not have: the prow-ops preview presubmit and drift periodic. */
export const PROJECT_JOB_FILES = ["config/jobs/metal3-io/prow-ops.yaml"];

/** The README's `kubectl -n prow create configmap` commands. */
export const CONFIGMAP_COMMANDS: Array<{ name: string; fromFile: string[] }> = [
  { name: "config", fromFile: ["config/config.yaml"] },
  { name: "plugins", fromFile: ["config/plugins.yaml"] },
  { name: "label-config", fromFile: ["config/labels.yaml"] },
  { name: "job-config", fromFile: ["config/jobs/metal3-io", "config/jobs/Nordix", "config/jobs"] },
];

async function createConfigMap(kubectl: string, root: string, name: string, fromFile: string[]): Promise<KubeObject> {
  const args = ["-n", "prow", "create", "configmap", name, ...fromFile.map((f) => `--from-file=${f}`), "--dry-run=client", "-o", "yaml"];
  const { stdout } = await run(kubectl, args, { cwd: root, maxBuffer: 64 << 20 });
  const [cm] = parseManifests(stdout, `kubectl create configmap ${name}`);
  return withoutNullTimestamp(cm);
}

async function kustomize(kubectl: string, dir: string): Promise<KubeObject[]> {
  const { stdout } = await run(kubectl, ["kustomize", dir], { maxBuffer: 256 << 20 });
  return parseManifests(stdout, `kubectl kustomize ${dir}`);
}

/**
 * A buildable copy of the reference in `root`: the README's secret files written (canaries) and
 * every remote resource pointed at its offline copy. Returns the secret files written.
 */
export function prepareReferenceTree(root: string): Record<string, string> {
  copyTree(REFERENCE_DIR, root);
  // Jobs this project adds to Prow's config (its own preview and drift jobs) join the reference's.
  for (const f of PROJECT_JOB_FILES) copyFileSync(join(PROJECT_ROOT, f), join(root, f));
  const secretFiles = readmeSecretFiles(readFileSync(join(REFERENCE_DIR, "README.md"), "utf8"));
  const missing = SECRET_FILES.filter((f) => !(f in secretFiles));
  if (missing.length) throw new Error(`the README no longer creates ${missing.join(", ")}`);
  for (const [path, content] of Object.entries(secretFiles)) writeFileSync(join(root, path), content);
  for (const k of KUSTOMIZATIONS) localizeRemoteResources(join(root, k));
  return secretFiles;
}

async function build(): Promise<ReferenceBuild> {
  const kubectl = kubectlPath();
  const root = mkdtempSync(join(tmpdir(), "prow-ops-reference-"));
  try {
    const secretFiles = prepareReferenceTree(root);

    const kp = join(REFERENCE_DIR, "infra", "kube-prometheus");
    const [built, configMaps] = await Promise.all([
      Promise.all(KUSTOMIZATIONS.map((k) => kustomize(kubectl, join(root, k)))),
      Promise.all(CONFIGMAP_COMMANDS.map((c) => createConfigMap(kubectl, root, c.name, c.fromFile))),
    ]);
    return {
      kustomize: Object.fromEntries(KUSTOMIZATIONS.map((k, i) => [k, built[i]])) as Record<Kustomization, KubeObject[]>,
      prowJobCrd: kubectlApplyFiles([join(MIRROR, "prow-crd-8e8a5cfe", "prowjob_customresourcedefinition.yaml")]),
      kubePrometheus: kubectlApplyFiles([join(kp, "manifests", "setup"), join(kp, "manifests"), join(kp, "prow-rules.yaml")]),
      configMaps,
      secretFiles,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Runs `make` on the first call only and hands every caller the same promise. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => {
    result ??= make();
    return result;
  };
}

/** The reference, built once per test file. */
export const buildReference = once(build);

/** What the project declares for the production stack, per layer: Kubernetes objects with every secret resolved to its canary. */
export interface ProjectBuild {
  objects: Record<LayerName, KubeObject[]>;
  /** Every declaration, Kubernetes or not, by layer (secrets left as SecretText). */
  declared: Awaited<ReturnType<typeof declareAll>>;
}

async function declareProject(): Promise<ProjectBuild> {
  const cacheDir = mkdtempSync(join(tmpdir(), "prow-ops-reference-cache-"));
  try {
    const declared = await declareAll(prodConfig(), { mirror: MIRROR, cacheDir });
    const objects = {} as Record<LayerName, KubeObject[]>;
    for (const { spec, declared: ds } of declared) {
      objects[spec.name] = ds.flatMap((d) => (d.kind === "kubernetes" ? [mapSecretTexts(d.object, (t: SecretText) => t.resolve(canary)) as KubeObject] : []));
    }
    return { objects, declared };
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}

/** The project's declarations for Pulumi.prow.yaml, computed once per test file. */
export const buildProject = once(declareProject);
