/**
 * CRDs as `clusterctl init` installs them: the providers' components label their CRDs with the
 * Cluster API contract they implement (`cluster.x-k8s.io/v1beta1: v1beta1`), and Cluster API's
 * controllers refuse references to kinds whose CRD lacks it. The CRD bases do not carry it.
 */
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
