import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load, loadAll } from "js-yaml";
import { writeProviderRepository } from "../../../cli/lib/sandbox/provider-repository";
import { MIRROR, SHARED } from "../../helpers/config";

const VERSIONS = { clusterApi: "v1.8.5", capo: "v0.11.1", certManager: "v1.16.1", clusterApiOperator: "v0.14.0", calico: "v3.28.2", cloudProviderOpenstack: "v1.30.1", ingressNginx: "controller-v1.10.4", clusterAutoscaler: "v1.30.2" };
const docsOf = (files: string[]) => files.flatMap((f) => loadAll(readFileSync(f, "utf8")) as object[]);
const crdFiles = () => ["capi-v1.8.5", "capo-v0.11.1"].flatMap((d) => readdirSync(join(SHARED, "crds", d)).map((f) => join(SHARED, "crds", d, f)));

type Doc = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: { group: string } };

describe("the local cloud's clusterctl provider repository", () => {
  const dir = mkdtempSync(join(tmpdir(), "repo-"));
  const config = writeProviderRepository(dir, VERSIONS, docsOf([...crdFiles(), join(MIRROR, "cert-manager-v1.16.1/cert-manager.yaml")]));
  const components = (path: string) => loadAll(readFileSync(path, "utf8")) as Doc[];

  test("GIVEN the pinned versions THEN clusterctl.yaml names each provider's components file in clusterctl's local layout, and cert-manager's", () => {
    const c = load(readFileSync(config, "utf8")) as { providers: Array<{ name: string; type: string; url: string }>; "cert-manager": { url: string; version: string } };
    expect(c.providers.map((p) => `${p.type} ${p.name} ${p.url.replace(`file://${dir}/`, "")}`)).toEqual([
      "CoreProvider cluster-api cluster-api/v1.8.5/core-components.yaml",
      "BootstrapProvider kubeadm bootstrap-kubeadm/v1.8.5/bootstrap-components.yaml",
      "ControlPlaneProvider kubeadm control-plane-kubeadm/v1.8.5/control-plane-components.yaml",
      "InfrastructureProvider openstack infrastructure-openstack/v0.11.1/infrastructure-components.yaml",
    ]);
    expect(c["cert-manager"]).toEqual({ url: `file://${dir}/cert-manager/v1.16.1/cert-manager.yaml`, version: "v1.16.1" });
    expect(load(readFileSync(join(dir, "infrastructure-openstack/v0.11.1/metadata.yaml"), "utf8"))).toEqual({ apiVersion: "clusterctl.cluster.x-k8s.io/v1alpha3", kind: "Metadata", releaseSeries: [{ major: 0, minor: 11, contract: "v1beta1" }] });
  });

  test("GIVEN the CRDs THEN each provider gets its Namespace and its own CRDs, the providers' labelled with their contract; clusterctl's inventory CRD is left to clusterctl", () => {
    const core = components(join(dir, "cluster-api/v1.8.5/core-components.yaml"));
    expect(core[0]).toEqual({ apiVersion: "v1", kind: "Namespace", metadata: { name: "capi-system" } });
    expect(core.slice(1).map((d) => d.metadata.name)).toContain("clusters.cluster.x-k8s.io");
    expect(core.some((d) => d.metadata.name.startsWith("providers.clusterctl"))).toBe(false);
    expect(core.slice(1).every((d) => d.kind === "CustomResourceDefinition" && !d.metadata.labels?.["cluster.x-k8s.io/v1beta1"])).toBe(true);
    const capo = components(join(dir, "infrastructure-openstack/v0.11.1/infrastructure-components.yaml"));
    expect(capo.slice(1).map((d) => d.metadata.name).sort()).toEqual(["openstackclusters", "openstackclustertemplates", "openstackfloatingippools", "openstackmachines", "openstackmachinetemplates", "openstackservers"].map((n) => `${n}.infrastructure.cluster.x-k8s.io`));
    expect(capo.slice(1).every((d) => d.metadata.labels?.["cluster.x-k8s.io/v1beta1"] === "v1beta1")).toBe(true);
    const certManager = components(join(dir, "cert-manager/v1.16.1/cert-manager.yaml"));
    expect(certManager.filter((d) => d.kind !== "CustomResourceDefinition").map((d) => d.metadata.name)).toEqual(["cert-manager"]);
    expect(certManager).toHaveLength(7);
  });

  test("GIVEN CRDs that lack a provider's THEN it says which", () => {
    expect(() => writeProviderRepository(mkdtempSync(join(tmpdir(), "repo-")), VERSIONS, docsOf(crdFiles().filter((f) => !f.includes("capo"))))).toThrow(/no CRD of the infrastructure-openstack provider/);
  });
});
