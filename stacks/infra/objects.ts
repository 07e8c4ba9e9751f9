/**
 * Cluster infrastructure (the reference's infra/ and infra/kube-prometheus): ingress-nginx
 * with the reference's patches, the Let's Encrypt ClusterIssuer, the default StorageClass,
 * the ingress PDB, and the kube-prometheus monitoring stack.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { StackConfig } from "../../config/schema";
import type { KubeObject } from "../core/declared";
import { annotate, clone, isKind, named, patchWhere, place, podSpecOf } from "../core/patch";
import { fromRoot } from "../core/paths";
import { infraPlacement } from "../core/placement";
import { readManifests } from "../core/yaml";

const NS = "ingress-nginx";
const CONTROLLER = "ingress-nginx-controller";

/** The patches of infra/kustomization.yaml, in its order. */
export function patchIngressNginx(objects: KubeObject[], c: StackConfig): KubeObject[] {
  let out = objects;
  // service.yaml: a fixed IP, kept even if the Service is deleted.
  out = patchWhere(out, named("Service", CONTROLLER, NS), (o) => {
    const s = annotate(o, { "loadbalancer.openstack.org/keep-floatingip": "true" });
    Object.assign(s.spec as object, { loadBalancerIP: c.ingress.loadBalancerIP, externalTrafficPolicy: "Cluster" });
    return s;
  });
  // Finished admission jobs are deleted, so the next apply does not trip over them.
  out = patchWhere(
    out,
    (o) => o.kind === "Job" && o.metadata.namespace === NS,
    (o) => {
      const j = clone(o);
      (j.spec as Record<string, unknown>).ttlSecondsAfterFinished = 600;
      return j;
    },
  );
  out = patchWhere(out, named("Deployment", CONTROLLER, NS), (o) => {
    const d = clone(o);
    (d.spec as Record<string, unknown>).replicas = c.ingress.replicas;
    return d;
  });
  out = patchWhere(out, named("ConfigMap", CONTROLLER, NS), (o) => {
    const m = clone(o);
    m.data = { ...((m.data as object) ?? {}), "strict-validate-path-type": "true" };
    return m;
  });
  // See kubernetes/ingress-nginx#10572.
  out = patchWhere(out, named("Deployment", CONTROLLER, NS), (o) => {
    const d = clone(o);
    const container = (podSpecOf(d)?.containers as Array<{ args: string[] }>)[0];
    container.args = [...container.args, "--enable-annotation-validation=true"];
    return d;
  });
  return out;
}

export const clusterIssuer = (c: StackConfig): KubeObject => ({
  apiVersion: "cert-manager.io/v1",
  kind: "ClusterIssuer",
  metadata: { name: "letsencrypt-http-prod" },
  spec: {
    acme: {
      email: c.ingress.acmeEmail,
      server: "https://acme-v02.api.letsencrypt.org/directory",
      privateKeySecretRef: { name: "letsencrypt-http-prod" },
      solvers: [{ http01: { ingress: { class: "nginx" } }, selector: {} }],
    },
  },
});

export const storageClass = (): KubeObject => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name: "csi-cinderplugin", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
  provisioner: "cinder.csi.openstack.org",
  reclaimPolicy: "Delete",
  volumeBindingMode: "Immediate",
});

export const ingressPdb = (): KubeObject => ({
  apiVersion: "policy/v1",
  kind: "PodDisruptionBudget",
  metadata: { name: "ingress-nginx", namespace: NS },
  spec: {
    minAvailable: 1,
    selector: { matchLabels: { "app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": "ingress-nginx", "app.kubernetes.io/name": "ingress-nginx" } },
  },
});

/** The ingress part: upstream + local objects, patched, every Deployment and Job on infra nodes. */
export function ingressObjects(c: StackConfig, ingressNginx: KubeObject[]): KubeObject[] {
  const objects = patchIngressNginx([...ingressNginx, clusterIssuer(c), storageClass(), ingressPdb()], c);
  return patchWhere(objects, isKind("Deployment", "Job"), (o) => place(o, infraPlacement(true)));
}

const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join(dir, f));

/**
 * kube-prometheus as the reference applies it: manifests/setup, manifests, then prow-rules.yaml.
 * The rendered dashboards list holds grafana-dashboard-jobs twice; `kubectl apply -f` leaves
 * the last one in the cluster, so the last one is what is declared.
 */
export function kubePrometheusObjects(): KubeObject[] {
  const root = fromRoot("stacks/infra/kube-prometheus");
  const objects = [...yamlFiles(join(root, "manifests/setup")), ...yamlFiles(join(root, "manifests")), join(root, "prow-rules.yaml")].flatMap(readManifests);
  const key = (o: KubeObject) => `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
  const last = new Map(objects.map((o) => [key(o), o]));
  return patchWhere(
    objects.filter((o) => last.get(key(o)) === o),
    named("Deployment", "grafana", "monitoring"),
    dropRepeatedVolumes,
  );
}

/**
 * The rendered grafana Deployment lists the grafana-dashboard-jobs volume twice; the API server
 * refuses duplicate volume names, so the repeat (identical to the first) is dropped.
 */
export function dropRepeatedVolumes(o: KubeObject): KubeObject {
  const out = clone(o);
  const pod = podSpecOf(out) as { volumes?: Array<{ name: string }> };
  const seen = new Map<string, unknown>();
  pod.volumes = (pod.volumes ?? []).filter((v) => {
    const first = seen.get(v.name);
    if (first === undefined) {
      seen.set(v.name, v);
      return true;
    }
    if (JSON.stringify(first) !== JSON.stringify(v)) throw new Error(`${o.metadata.name}: two different volumes are named ${v.name}`);
    return false;
  });
  return out;
}

export const infraObjects = (c: StackConfig, ingressNginx: KubeObject[]): KubeObject[] => [...ingressObjects(c, ingressNginx), ...kubePrometheusObjects()];
