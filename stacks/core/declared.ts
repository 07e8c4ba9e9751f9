/**
 * What a layer declares, as plain data. The same list feeds the Pulumi program (one
 * resource per entry) and the offline render (one YAML document per entry), so both
 * always agree and the render needs no engine.
 */
import type { SecretText } from "./secret-text";

/** A Kubernetes object: a manifest whose leaves may be SecretText. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  [field: string]: unknown;
}

export interface DeclaredKube {
  readonly kind: "kubernetes";
  /** Unique Pulumi resource name within the layer. */
  readonly name: string;
  readonly object: KubeObject;
  /** Names (within the layer) of declarations this one must follow. */
  readonly dependsOn: readonly string[];
}

/** Any other provider's resource: its type token, name and inputs. */
export interface DeclaredResource {
  readonly kind: "resource";
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown | SecretText>;
  readonly dependsOn: readonly string[];
  /** Selects one of several providers of the same package (e.g. the GitHub owner). */
  readonly providerKey?: string;
}

export type Declared = DeclaredKube | DeclaredResource;

export const kubeName = (o: KubeObject): string =>
  [o.kind.toLowerCase(), o.metadata.namespace, o.metadata.name].filter(Boolean).join(":");
