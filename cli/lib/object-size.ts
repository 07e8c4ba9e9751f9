/**
 * Kubernetes refuses objects over 1 MiB (a ConfigMap's data included). The job-config
 * ConfigMap grows with every job file: warn well before an `up` would be refused.
 */
import type { KubeObject } from "../../stacks/core/declared";

export const OBJECT_LIMIT = 1024 * 1024;
export const WARN_AT = 0.8;

export interface ObjectSize {
  kind: string;
  name: string;
  bytes: number;
  share: number;
}

export function objectSizes(objects: KubeObject[]): ObjectSize[] {
  return objects
    .map((o) => {
      const bytes = Buffer.byteLength(JSON.stringify(o));
      return { kind: o.kind, name: `${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`, bytes, share: bytes / OBJECT_LIMIT };
    })
    .sort((a, b) => b.bytes - a.bytes);
}

export const sizeWarning = (s: ObjectSize): string =>
  `${s.kind} ${s.name} is ${(s.bytes / OBJECT_LIMIT).toFixed(2)} MiB, ${Math.round(s.share * 100)}% of Kubernetes' 1 MiB object limit: split it (e.g. job files into more ConfigMaps) before an up is refused`;
