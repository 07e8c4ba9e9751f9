/**
 * A layer as a ComponentResource: one child resource per declaration, dependencies mapped
 * from names to resources, secrets resolved to secret Outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Declared, DeclaredKube, DeclaredResource, KubeObject } from "../core/declared";
import { CRD_RESOURCE_TYPE, type CrdCluster, type CrdManifest, CustomResourceDefinition } from "./crd-resource";
import { mapSecretTexts, type SecretText } from "../core/secret-text";
import type { LayerSpec } from "../layers";
import { secretOutputsOf } from "./secret-outputs";
import type { Secrets } from "./secrets";

export interface LayerArgs {
  spec: LayerSpec;
  declared: Declared[];
  secrets: Secrets;
  /** The explicit Kubernetes provider of this layer's cluster. */
  kubernetes?: pulumi.ProviderResource;
  /** The same cluster's access and the provider that applies CRDs (crd-resource.ts). */
  cluster?: CrdCluster;
  crdProvider?: pulumi.ProviderResource;
  /** Providers of other packages, keyed by DeclaredResource.providerKey. */
  providers?: Record<string, pulumi.ProviderResource>;
  /** Resource classes by type token. */
  classes: Record<string, ResourceClass>;
  kubernetesVersion: string;
  skipAwait?: boolean;
  /** Other layers this one must follow. */
  after?: pulumi.Resource[];
}

export type ResourceClass = new (name: string, args: Record<string, unknown>, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** Kubernetes type token: kubernetes:<group or core>/<version>:<Kind>. */
export function kubeToken(o: KubeObject): string {
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["core", o.apiVersion];
  return `kubernetes:${group}/${version}:${o.kind}`;
}

/** Any Kubernetes object, typed by its token (the provider handles every group/version/kind). */
class KubeObjectResource extends pulumi.CustomResource {}

export class Layer extends pulumi.ComponentResource {
  readonly resources = new Map<string, pulumi.CustomResource>();

  constructor(name: string, args: LayerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(args.spec.type, name, {}, { ...opts, dependsOn: args.after });
    for (const d of args.declared) {
      const dependsOn = d.dependsOn.map((n) => {
        const r = this.resources.get(n);
        if (!r) throw new Error(`${args.spec.name}: ${d.name} depends on ${n}, which is not declared before it`);
        return r;
      });
      const resource = d.kind === "kubernetes" ? this.declareKube(d, args, dependsOn) : this.declareResource(d, args, dependsOn);
      this.resources.set(d.name, resource);
      args.secrets.register(args.spec.name, d.name, resource);
    }
    this.registerOutputs({ count: args.declared.length });
  }

  private resolve(value: unknown, secrets: Secrets): Record<string, unknown> {
    return mapSecretTexts(value, (t: SecretText) => secrets.resolve(t)) as Record<string, unknown>;
  }

  private declareKube(d: DeclaredKube, args: LayerArgs, dependsOn: pulumi.Resource[]): pulumi.CustomResource {
    if (d.object.kind === "CustomResourceDefinition" && d.object.apiVersion === "apiextensions.k8s.io/v1") {
      const opts = { parent: this, dependsOn, provider: args.crdProvider, additionalSecretOutputs: [...secretOutputsOf(CRD_RESOURCE_TYPE)] };
      return new CustomResourceDefinition(d.name, d.object as unknown as CrdManifest, args.cluster ?? {}, opts);
    }
    const object = this.resolve(d.object, args.secrets) as unknown as KubeObject;
    if (args.skipAwait) object.metadata = { ...object.metadata, annotations: { ...object.metadata.annotations, "pulumi.com/skipAwait": "true" } };
    // A MachineDeployment whose replicas the stack declares is the stack's to size: after the
    // autoscaler is disabled its field manager still co-owns spec.replicas, and an unforced
    // server-side apply of a new count would conflict with it.
    if (d.object.kind === "MachineDeployment" && (d.object.spec as { replicas?: number } | undefined)?.replicas !== undefined) {
      object.metadata = { ...object.metadata, annotations: { ...object.metadata.annotations, "pulumi.com/patchForce": "true" } };
    }
    const token = kubeToken(d.object);
    return new KubeObjectResource(token, d.name, object, {
      parent: this,
      provider: args.kubernetes,
      dependsOn,
      version: args.kubernetesVersion,
      additionalSecretOutputs: [...secretOutputsOf(token)],
    });
  }

  private declareResource(d: DeclaredResource, args: LayerArgs, dependsOn: pulumi.Resource[]): pulumi.CustomResource {
    const Class = args.classes[d.type];
    if (!Class) throw new Error(`no resource class registered for ${d.type}`);
    const provider = d.providerKey ? args.providers?.[d.providerKey] : undefined;
    return new Class(d.name, this.resolve(d.inputs, args.secrets), {
      parent: this,
      dependsOn,
      additionalSecretOutputs: [...secretOutputsOf(d.type)],
      ...(provider ? { provider } : {}),
    });
  }
}
