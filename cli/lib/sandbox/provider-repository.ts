/**
 * The local cloud's clusterctl provider repository: the providers the stack pins (core, kubeadm
 * bootstrap and control plane, OpenStack) and cert-manager, laid out as clusterctl's local
 * repositories are (`<dir>/<provider-label>/<version>/<components>.yaml` beside metadata.yaml),
 * and the clusterctl.yaml that points clusterctl at them (the stack's kubernetes.clusterctlConfig).
 *
 * Each components file is what the release's components install minus the controllers: the
 * provider's Namespace and CRDs (labelled as the release labels them). Nothing could run the
 * controllers' images here; the simulators play them. clusterctl itself is the real one: init's
 * cert-manager check, ordering, labels and inventory, then move.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump } from "js-yaml";
import type { StackConfig } from "../../../config/schema";
import { crdsAsInstalled } from "./crds";

type Crd = { kind?: string; spec?: { group?: string } };

interface RepositoryProvider {
  /** clusterctl's name and type for it (clusterctl.yaml `providers:`). */
  name: string;
  type: "CoreProvider" | "BootstrapProvider" | "ControlPlaneProvider" | "InfrastructureProvider";
  label: string;
  file: string;
  namespace: string;
  groups: RegExp;
  version: (v: StackConfig["versions"]) => string;
}

export const REPOSITORY_PROVIDERS: RepositoryProvider[] = [
  { name: "cluster-api", type: "CoreProvider", label: "cluster-api", file: "core-components.yaml", namespace: "capi-system", groups: /^((addons|ipam|runtime)\.)?cluster\.x-k8s\.io$/, version: (v) => v.clusterApi },
  { name: "kubeadm", type: "BootstrapProvider", label: "bootstrap-kubeadm", file: "bootstrap-components.yaml", namespace: "capi-kubeadm-bootstrap-system", groups: /^bootstrap\.cluster\.x-k8s\.io$/, version: (v) => v.clusterApi },
  { name: "kubeadm", type: "ControlPlaneProvider", label: "control-plane-kubeadm", file: "control-plane-components.yaml", namespace: "capi-kubeadm-control-plane-system", groups: /^controlplane\.cluster\.x-k8s\.io$/, version: (v) => v.clusterApi },
  { name: "openstack", type: "InfrastructureProvider", label: "infrastructure-openstack", file: "infrastructure-components.yaml", namespace: "capo-system", groups: /^infrastructure\.cluster\.x-k8s\.io$/, version: (v) => v.capo },
];

const yamlStream = (docs: object[]) => docs.map((d) => dump(d, { noRefs: true, lineWidth: -1 })).join("---\n");

/** clusterctl's metadata.yaml: the release series of this version and the Cluster API contract it implements. */
function metadata(version: string): string {
  const [major, minor] = version.replace(/^v/, "").split(".").map(Number);
  return dump({ apiVersion: "clusterctl.cluster.x-k8s.io/v1alpha3", kind: "Metadata", releaseSeries: [{ major, minor, contract: "v1beta1" }] });
}

function writeComponents(dir: string, label: string, version: string, file: string, namespace: string, crds: object[]): string {
  const folder = join(dir, label, version);
  mkdirSync(folder, { recursive: true });
  const path = join(folder, file);
  writeFileSync(path, yamlStream([{ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }, ...crds]));
  writeFileSync(join(folder, "metadata.yaml"), metadata(version));
  return path;
}

/**
 * Writes the repository into `dir` from the CRD documents given (CAPI's, CAPO's and
 * cert-manager's) at the stack's pinned versions; returns the clusterctl.yaml path.
 */
export function writeProviderRepository(dir: string, versions: StackConfig["versions"], crdDocs: object[]): string {
  const crds = crdsAsInstalled(crdDocs) as Crd[];
  const ofGroups = (groups: RegExp) => crds.filter((c) => groups.test(c.spec?.group ?? ""));
  const providers = REPOSITORY_PROVIDERS.map((p) => {
    const own = ofGroups(p.groups);
    if (!own.length) throw new Error(`no CRD of the ${p.label} provider among those given`);
    return { name: p.name, type: p.type, url: `file://${writeComponents(dir, p.label, p.version(versions), p.file, p.namespace, own)}` };
  });
  const certManager = ofGroups(/^(cert-manager|acme\.cert-manager)\.io$/);
  if (!certManager.length) throw new Error("no cert-manager CRD among those given");
  const certManagerUrl = `file://${writeComponents(dir, "cert-manager", versions.certManager, "cert-manager.yaml", "cert-manager", certManager)}`;
  const config = join(dir, "clusterctl.yaml");
  writeFileSync(config, dump({ providers, "cert-manager": { url: certManagerUrl, version: versions.certManager } }));
  return config;
}
