/**
 * CustomResourceDefinitions as resources whose state holds a fingerprint, not the schema.
 * Through the kubernetes provider the 42 CRDs were 72% of the state (12.7 of 17.6 MB: the
 * provider keeps each one as inputs, outputs and outputs.__inputs), and the engine holds the
 * state several times over during a preview: the CRDs alone took it past 800 MiB. Here the
 * program writes each manifest into a content-addressed store and registers a small
 * resource; crd-provider.ts applies it server-side with its own field manager.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { KubeObject } from "../core/kube-client";
import { cacheDir, fromRoot, writeAtomic } from "../core/paths";
import { type CrdProps, digestOf } from "./crd-provider";

/** The type token of these resources (the engine's Node.js dynamic provider runs them). */
export const CRD_RESOURCE_TYPE = "pulumi-nodejs:dynamic/prow-ops:CustomResourceDefinition";

/** The compiled provider of this checkout (the program may run from sources, under tests). */
const BUILT_AT = fromRoot("dist", "stacks", "program", "crd-provider.js");

/**
 * The provider's code is this project's own module. It is looked up where the engine runs the
 * provider — the program's folder (Pulumi.yaml's main: dist/stacks) — before the path the
 * program ran from, because deletes and refreshes run the provider saved in the state, which
 * another clone may have written.
 */
function providerModule(): typeof import("./crd-provider") {
  const candidates = [require("node:path").join(process.cwd(), "program", "crd-provider.js"), BUILT_AT];
  for (const candidate of candidates) {
    try {
      return require(candidate);
    } catch (err) {
      if ((err as { code?: string }).code !== "MODULE_NOT_FOUND") throw err;
    }
  }
  throw new Error(`prow-ops' CRD provider is in none of ${candidates.join(", ")}: run the engine in the project folder after npm run build`);
}

const provider: pulumi.dynamic.ResourceProvider = {
  check: async (_olds, news) => ({ inputs: news }),
  diff: (id, olds, news) => providerModule().diff(id, olds, news),
  create: (inputs) => providerModule().create(inputs),
  update: (id, olds, news) => providerModule().update(id, olds, news),
  read: (id, props) => providerModule().read(id, props),
  delete: (id, props) => providerModule().remove(id, props),
};

export type CrdManifest = KubeObject;

export interface CrdCluster {
  kubeconfig?: pulumi.Input<string>;
  kubeconfigPath?: string;
  context?: string;
}

/** Where manifests wait for the provider: beside the manifest cache. */
export function objectStore(env: NodeJS.ProcessEnv = process.env): string {
  return cacheDir("objects", env);
}

/** Writes a manifest under its sha256 (atomically: a concurrent run never reads half a file). */
export function storeManifest(store: string, manifest: KubeObject): string {
  const digest = digestOf(manifest);
  mkdirSync(store, { recursive: true });
  writeAtomic(join(store, `${digest}.json`), JSON.stringify(manifest));
  return digest;
}

/**
 * The engine's Node.js dynamic provider, explicit: the default one is handed the whole stack
 * configuration as its inputs, and would keep it in the state and update on every config change.
 */
export class CrdProvider extends pulumi.ProviderResource {
  constructor(opts?: pulumi.ResourceOptions) {
    super("pulumi-nodejs", "crds", {}, opts);
  }
}

export class CustomResourceDefinition extends pulumi.dynamic.Resource {
  constructor(name: string, manifest: CrdManifest, cluster: CrdCluster, opts: pulumi.CustomResourceOptions) {
    const store = objectStore();
    const props: Record<keyof CrdProps, unknown> = {
      name: manifest.metadata.name,
      digest: storeManifest(store, manifest),
      store,
      kubeconfig: cluster.kubeconfig,
      kubeconfigPath: cluster.kubeconfigPath,
      context: cluster.context,
    };
    super(provider, name, props, opts, "prow-ops", "CustomResourceDefinition");
  }
}
