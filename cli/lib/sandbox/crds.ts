/**
 * CRDs as `clusterctl init` installs them: the providers' components label their CRDs with the
 * Cluster API contract they implement (`cluster.x-k8s.io/v1beta1: v1beta1`), and Cluster API's
 * controllers refuse references to kinds whose CRD lacks it. The CRD bases do not carry it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump } from "js-yaml";
import type { ControlPlane } from "./control-plane";

const PROVIDER_GROUP = /^(bootstrap|controlplane|infrastructure)\.cluster\.x-k8s\.io$/;
export const CONTRACT_LABEL = "cluster.x-k8s.io/v1beta1";

type Doc = { kind?: string; metadata?: { labels?: Record<string, string> }; spec?: { group?: string } };

/** The CustomResourceDefinitions among `docs`, the providers' ones with their contract label. */
export function crdsAsInstalled<T extends object>(docs: T[]): T[] {
  return docs
    .filter((d) => (d as Doc)?.kind === "CustomResourceDefinition")
    .map((d) => {
      const crd = d as Doc;
      if (!PROVIDER_GROUP.test(crd.spec?.group ?? "")) return d;
      return { ...d, metadata: { ...crd.metadata, labels: { ...crd.metadata?.labels, [CONTRACT_LABEL]: "v1beta1" } } } as T;
    });
}

/** Applies the CRDs among `docs` (server-side: some are very large), labelled as clusterctl installs them, and waits until they are served. */
export function installCrds(cp: ControlPlane, docs: object[]): void {
  const path = join(cp.dir, "crds.yaml");
  writeFileSync(path, crdsAsInstalled(docs).map((d) => dump(d, { noRefs: true, lineWidth: -1 })).join("---\n"));
  cp.kubectl(["apply", "--server-side", "--force-conflicts", "-f", path]);
  cp.kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
}
