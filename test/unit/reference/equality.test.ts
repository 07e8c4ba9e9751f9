/**
 * The project declares exactly what the hand-run reference applies: for each layer, the same
 * set of objects, and each object equal field by field. Only these differences are allowed:
 *
 * - a namespaced object the reference leaves without a namespace gets "default": `kubectl
 *   apply` puts it there (the runbook's kubeconfig has no other namespace), while the project
 *   names the namespace explicitly;
 * - Secret data is compared decoded, by file type (YAML, INI, JSON, trimmed token): the project
 *   writes clouds.yaml, cloud.conf and service-account.json itself instead of copying the
 *   README's heredocs byte for byte (indentation differs, the meaning may not), and kustomize
 *   wraps long base64 lines, which the API server ignores;
 * - annotations only kustomize's build metadata adds (`config.kubernetes.io/*`), if any.
 *
 * - the reference defects listed in REFERENCE_DEFECTS, where the reference cannot be applied
 *   as written and the project deliberately differs; each must still show up, exactly there.
 *
 * Everything else — labels, selectors, annotations, args, resources, probes, tolerations, node
 * selectors, replicas, images, RBAC rules, CRD schemas — must be identical.
 */
import { isDeepStrictEqual } from "node:util";
import { load } from "js-yaml";
import type { LayerName } from "../../../config/schema";
import type { KubeObject } from "../../../stacks/core/declared";
import { mapSecretTexts } from "../../../stacks/core/secret-text";
import { type Crd, crdOf, groupOf, readCrds } from "../../helpers/crd-schema";
import { SHARED } from "../../helpers/config";
import { buildProject, buildReference, canary, type ProjectBuild, type ReferenceBuild } from "../../helpers/reference";

/** Built-in kinds by scope (everything else must be a CRD, whose scope is read from it). */
const CLUSTER_SCOPED = new Set([
  "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass", "CSIDriver",
  "CSINode", "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "IngressClass", "RuntimeClass",
]);
const NAMESPACED = new Set([
  "ConfigMap", "Secret", "Service", "ServiceAccount", "Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob", "Role", "RoleBinding",
  "PodDisruptionBudget", "NetworkPolicy", "Ingress", "LimitRange", "ResourceQuota", "Pod", "PersistentVolumeClaim", "Lease", "Endpoints",
]);

type Json = Record<string, unknown>;
const keyOf = (o: KubeObject) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/** Built-in API groups: the core group, dot-less groups (apps, batch, policy) and *.k8s.io (but not the *.x-k8s.io CRD groups). */
const isBuiltIn = (group: string) => !group.includes(".") || (group.endsWith(".k8s.io") && !group.endsWith(".x-k8s.io"));

function isNamespaced(o: KubeObject, crds: Crd[]): boolean {
  if (isBuiltIn(groupOf(o.apiVersion)) && NAMESPACED.has(o.kind)) return true;
  if (isBuiltIn(groupOf(o.apiVersion)) && CLUSTER_SCOPED.has(o.kind)) return false;
  const crd = crds.find((c) => c.group === groupOf(o.apiVersion) && c.kind === o.kind);
  if (!crd) throw new Error(`scope of ${o.apiVersion} ${o.kind} is unknown: add it to the built-in lists or provide its CRD`);
  return crd.scope === "Namespaced";
}

/** cloud.conf as {section: {key: value}}. */
function parseIni(text: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const header = line.match(/^\[(.+)\]$/);
    if (header) {
      section = header[1];
      out[section] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) throw new Error(`cloud.conf line without '=': ${line}`);
    out[section] ??= {};
    out[section][line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

/** A Secret data value, decoded and read as the file type its key names. */
function secretValue(key: string, base64: string): unknown {
  const text = Buffer.from(base64, "base64").toString("utf8");
  if (/\.ya?ml$/.test(key)) return load(text);
  if (key.endsWith(".conf")) return parseIni(text);
  if (key.endsWith(".json")) return JSON.parse(text);
  return text.trim();
}

/** Applies the allowed normalizations (see the file comment); `side` says which ones apply. */
function normalize(o: KubeObject, side: "project" | "reference", crds: Crd[]): KubeObject {
  const out = structuredClone(o) as KubeObject;
  if (side === "reference" && out.metadata.namespace === undefined && isNamespaced(out, crds)) out.metadata.namespace = "default";
  if (side === "reference" && out.metadata.annotations) {
    for (const k of Object.keys(out.metadata.annotations)) if (/^(internal\.)?config\.kubernetes\.io\//.test(k)) delete out.metadata.annotations[k];
    if (Object.keys(out.metadata.annotations).length === 0) delete out.metadata.annotations;
  }
  if (out.apiVersion === "v1" && out.kind === "Secret" && out.data) {
    out.data = Object.fromEntries(Object.entries(out.data as Record<string, string>).map(([k, v]) => [k, secretValue(k, v)]));
  }
  return out;
}

/** Every path where two values differ, with both values (shortened). */
function differences(a: unknown, b: unknown, path: string): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  const show = (v: unknown) => {
    const s = JSON.stringify(v);
    return s === undefined ? "(absent)" : s.length > 300 ? `${s.slice(0, 300)}…` : s;
  };
  const bothObjects = a !== null && b !== null && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects || (Array.isArray(a) && (a as unknown[]).length !== (b as unknown[]).length)) return [`${path}: project ${show(a)} ≠ reference ${show(b)}`];
  const keys = new Set([...Object.keys(a as Json), ...Object.keys(b as Json)]);
  return [...keys].flatMap((k) => differences((a as Json)[k], (b as Json)[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`));
}

/**
 * Where applying the reference as written fails against a real API server (found by the
 * integration tests), the project differs on purpose. Each entry: the differing path.
 */
const REFERENCE_DEFECTS: Partial<Record<LayerName, string[]>> = {
  // grafana-deployment.yaml repeats the grafana-dashboard-jobs volume; duplicate volume names are refused.
  infra: ["apps/v1/Deployment/monitoring/grafana.spec.template.spec.volumes"],
};

const atDefect = (layer: LayerName) => (difference: string) => (REFERENCE_DEFECTS[layer] ?? []).some((path) => difference.startsWith(`${path}:`));

interface Pair {
  layer: LayerName;
  /** What the reference applies for this layer, and how. */
  reference: (r: ReferenceBuild) => Array<{ from: string; objects: KubeObject[] }>;
}

const PAIRS: Pair[] = [
  { layer: "capi", reference: (r) => [{ from: "kubectl kustomize capi", objects: r.kustomize.capi }] },
  { layer: "cluster", reference: (r) => [{ from: "kubectl kustomize capo-cluster", objects: r.kustomize["capo-cluster"] }] },
  { layer: "cluster-resources", reference: (r) => [{ from: "kubectl kustomize cluster-resources", objects: r.kustomize["cluster-resources"] }] },
  {
    layer: "infra",
    reference: (r) => [
      { from: "kubectl kustomize infra", objects: r.kustomize.infra },
      { from: "kubectl apply -f infra/kube-prometheus/…", objects: r.kubePrometheus },
    ],
  },
  {
    layer: "prow",
    reference: (r) => [
      { from: "the ProwJob CRD", objects: r.prowJobCrd },
      { from: "kubectl kustomize manifests/overlays/metal3", objects: r.kustomize["manifests/overlays/metal3"] },
      { from: "kubectl create configmap …", objects: r.configMaps },
    ],
  },
];

interface Comparison {
  duplicatedInReference: string[];
  duplicatedInProject: string[];
  missingFromProject: string[];
  extraInProject: string[];
  /** `key.path: project X ≠ reference Y`, for every differing field of objects both sides hold. */
  differences: string[];
}

/** Compares one layer's declarations with what the reference applies for it, after normalization. */
function compare(reference: Array<{ from: string; objects: KubeObject[] }>, project: KubeObject[], crds: Crd[]): Comparison {
  const ref = reference.flatMap((s) => s.objects.map((o) => ({ from: s.from, object: normalize(o, "reference", crds) })));
  const proj = project.map((o) => normalize(o, "project", crds));
  const refKeys = ref.map((r) => keyOf(r.object));
  const projKeys = proj.map(keyOf);
  const duplicates = (keys: string[]) => keys.filter((k, i) => keys.indexOf(k) !== i);
  const byKey = new Map(proj.map((o) => [keyOf(o), o]));
  return {
    duplicatedInReference: duplicates(refKeys),
    duplicatedInProject: duplicates(projKeys),
    missingFromProject: ref.filter((r) => !byKey.has(keyOf(r.object))).map((r) => `${keyOf(r.object)} (from ${r.from})`),
    extraInProject: projKeys.filter((k) => !refKeys.includes(k)),
    differences: ref.flatMap((r) => {
      const p = byKey.get(keyOf(r.object));
      return p ? differences(p, r.object, keyOf(r.object)) : [];
    }),
  };
}

describe("the project declares what the reference applies", () => {
  let reference: ReferenceBuild;
  let project: ProjectBuild;
  let crds: Crd[];

  beforeAll(async () => {
    [reference, project] = await Promise.all([buildReference(), buildProject()]);
    const everything = [...Object.values(project.objects).flat(), ...Object.values(reference.kustomize).flat(), ...reference.kubePrometheus, ...reference.prowJobCrd];
    crds = [...readCrds(`${SHARED}/crds`), ...everything.filter((o) => o.kind === "CustomResourceDefinition").map((o) => crdOf(o, "declared"))];
  }, 60000);

  const compareLayer = (pair: Pair, projectObjects = project.objects[pair.layer]) => compare(pair.reference(reference), projectObjects, crds);
  const pair = (layer: LayerName) => PAIRS.find((p) => p.layer === layer) as Pair;

  test("GIVEN the seven layers WHEN listed THEN every Kubernetes layer is compared with reference trees below, and no other layer declares Kubernetes objects", () => {
    const kube = project.declared.filter(({ declared }) => declared.some((d) => d.kind === "kubernetes")).map(({ spec }) => spec.name);
    expect(kube.sort()).toEqual(PAIRS.map((p) => p.layer).sort());
    expect(project.declared.filter(({ spec }) => spec.cluster).map(({ spec }) => spec.name).sort()).toEqual(kube.sort());
  });

  describe.each(PAIRS)("layer $layer", (p) => {
    test("GIVEN the reference built with kubectl WHEN compared with the layer's declarations THEN the sets of objects (apiVersion/kind/namespace/name) are equal", () => {
      const { differences: _, ...sets } = compareLayer(p);
      expect(p.reference(reference).flatMap((s) => s.objects).length).toBeGreaterThan(0);
      expect(sets).toEqual({ duplicatedInReference: [], duplicatedInProject: [], missingFromProject: [], extraInProject: [] });
    });

    test("THEN every object is deep-equal to the reference's, field by field (but for the listed reference defects, which do differ)", () => {
      const all = compareLayer(p).differences;
      expect(all.filter((d) => !atDefect(p.layer)(d))).toEqual([]);
      for (const path of REFERENCE_DEFECTS[p.layer] ?? []) expect(all.filter((d) => d.startsWith(`${path}:`))).toHaveLength(1);
    });
  });

  test("GIVEN the grafana Deployment THEN its volumes are the reference's with only the repeated one removed", () => {
    const find = (objects: KubeObject[]) => objects.find((o) => o.kind === "Deployment" && o.metadata.name === "grafana") as KubeObject;
    const volumes = (o: KubeObject) => ((o.spec as Json).template as { spec: { volumes: Array<{ name: string }> } }).spec.volumes;
    const ref = volumes(find(reference.kubePrometheus));
    const unique = ref.filter((v, i) => ref.findIndex((w) => w.name === v.name) === i);
    expect(ref.length).toBe(unique.length + 1);
    expect(volumes(find(project.objects.infra))).toEqual(unique);
  });

  test("GIVEN a project object with a changed request, label, toleration or secret WHEN compared THEN each difference is reported at its path", () => {
    const objects = structuredClone(project.objects.prow) as KubeObject[];
    const deck = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "deck") as KubeObject & { spec: Json };
    const pod = (deck.spec.template as { spec: { containers: Array<{ resources: { requests: Json } }>; tolerations: unknown[] } }).spec;
    pod.containers[0].resources.requests.cpu = "131m";
    pod.tolerations = [];
    (deck.metadata.labels as Json)["app.kubernetes.io/part-of"] = "other";
    const token = objects.find((o) => o.kind === "Secret" && o.metadata.name === "hmac-token") as KubeObject;
    token.data = { hmac: Buffer.from("not-the-token\n").toString("base64") };
    const diffs = compareLayer(pair("prow"), objects).differences;
    expect(diffs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^apps\/v1\/Deployment\/prow\/deck\.spec\.template\.spec\.containers\[0\]\.resources\.requests\.cpu: project "131m" ≠ reference "130m"$/),
        expect.stringMatching(/^apps\/v1\/Deployment\/prow\/deck\.spec\.template\.spec\.tolerations: project \[\] ≠ reference \[\{/),
        expect.stringMatching(/deck\.metadata\.labels\.app\.kubernetes\.io\/part-of: project "other" ≠ reference "prow"$/),
        expect.stringMatching(/^v1\/Secret\/prow\/hmac-token\.data\.hmac: project "not-the-token" ≠ reference "CANARY-hmacToken-/),
      ]),
    );
    expect(diffs).toHaveLength(4);
  });

  test("GIVEN a project object without its namespace, and one dropped WHEN compared THEN they are reported missing and extra (the 'default' namespace is only assumed for the reference)", () => {
    const objects = (structuredClone(project.objects.cluster) as KubeObject[]).filter((o) => o.kind !== "OpenStackCluster");
    const cluster = objects.find((o) => o.kind === "Cluster") as KubeObject;
    delete cluster.metadata.namespace;
    const { missingFromProject, extraInProject } = compareLayer(pair("cluster"), objects);
    expect(missingFromProject.sort()).toEqual([
      "cluster.x-k8s.io/v1beta1/Cluster/default/prow (from kubectl kustomize capo-cluster)",
      "infrastructure.cluster.x-k8s.io/v1beta1/OpenStackCluster/default/prow (from kubectl kustomize capo-cluster)",
    ]);
    expect(extraInProject).toEqual(["cluster.x-k8s.io/v1beta1/Cluster//prow"]);
  });

  test("GIVEN the README's secret files written with canary values WHEN built THEN each reference Secret carries them, so the Secret comparison is not vacuous", () => {
    const secrets = Object.values(reference.kustomize)
      .flat()
      .filter((o) => o.kind === "Secret");
    const value = (name: string, namespace: string | undefined, key: string) => {
      const s = secrets.find((o) => o.metadata.name === name && o.metadata.namespace === namespace);
      return secretValue(key, (s?.data as Record<string, string>)[key]);
    };
    expect(value("github-token", "prow", "token")).toBe(canary("githubToken"));
    expect(value("github-token", "test-pods", "token")).toBe(canary("githubToken"));
    expect(value("hmac-token", "prow", "hmac")).toBe(canary("hmacToken"));
    expect(value("cherrypick-bot-github-token", "prow", "token")).toBe(canary("cherrypickBotToken"));
    expect(value("jenkins-token", "prow", "token")).toBe(canary("jenkinsToken"));
    expect(value("s3-credentials", "prow", "service-account.json")).toMatchObject({ access_key: canary("s3AccessKey"), secret_key: canary("s3SecretKey") });
    expect(value("cloud-config", "kube-system", "cloud.conf")).toMatchObject({
      Global: { "application-credential-id": canary("openstackApplicationCredentialId"), "application-credential-secret": canary("openstackApplicationCredentialSecret") },
    });
    expect(value("prow-cloud-config", undefined, "clouds.yaml")).toMatchObject({
      clouds: { prow: { auth: { application_credential_id: canary("openstackApplicationCredentialId"), application_credential_secret: canary("openstackApplicationCredentialSecret") } } },
    });
  });

  test("GIVEN the project's declarations WHEN their secret parts are listed THEN exactly the objects the reference fills from the README's secret files hold secrets, and nothing is hard-coded", () => {
    const fromSecretFiles = Object.values(reference.kustomize)
      .flat()
      .filter((o) => o.kind === "Secret" && Object.values((o.data as Record<string, string>) ?? {}).some((v) => Buffer.from(v, "base64").toString().includes("CANARY-")))
      .map((o) => normalize(o, "reference", crds))
      .map(keyOf);
    const holdingSecrets = project.declared
      .flatMap((l) => l.declared)
      .flatMap((d) => {
        if (d.kind !== "kubernetes") return [];
        let found = false;
        mapSecretTexts(d.object, (t) => {
          found ||= t.secretsUsed().length > 0;
        });
        return found ? [keyOf(d.object)] : [];
      });
    expect(fromSecretFiles).toHaveLength(9);
    expect(holdingSecrets.sort()).toEqual(fromSecretFiles.sort());
  });
});
