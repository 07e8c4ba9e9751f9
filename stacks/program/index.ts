/**
 * The Pulumi program: the validated config, then each enabled layer as a component, in
 * dependency order. The same function runs under `pulumi up` (stacks/index.ts) and under
 * prow-ops through the Automation API.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, projectValues } from "../../config/load";
import type { StackConfig } from "../../config/schema";
import { SECRET_NAMES } from "../core/secret-text";
import { withTemporaryCidrs } from "../core/access-env";
import { type FetchOptions, loadUpstream } from "../core/upstream";
import { declareLayer, enabledLayers, upstreamFor } from "../layers";
import { Layer } from "./layer";
import { CrdProvider } from "./crd-resource";
import { clusterAccess, kubernetesProvider } from "./providers";
import { resourceClasses } from "./classes";
import { Secrets } from "./secrets";
import { githubProviders } from "./github";
import { openstackProvider, operatorAuth } from "./openstack";
import { OPENSTACK_PROVIDER } from "../openstack/resources";

/** Reads the stack config from the engine and validates it: nothing is declared if it is invalid. */
export function runtimeConfig(): StackConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(projectValues(pulumi.runtime.allConfig()))) {
    if ((SECRET_NAMES as readonly string[]).includes(key)) continue;
    try {
      raw[key] = JSON.parse(value as string);
    } catch {
      raw[key] = value;
    }
  }
  return parseStackConfig(raw, `the configuration of stack ${pulumi.getStack()}`);
}

export async function program(fetch: FetchOptions = {}): Promise<Record<string, unknown>> {
  const config = runtimeConfig();
  // Addresses an operator holds open for the moment (prow-ops access --temporary-ip).
  config.cluster.allowedCIDRs = withTemporaryCidrs(config.cluster.allowedCIDRs);
  const specs = enabledLayers(config);
  const upstream = await loadUpstream(upstreamFor(specs), fetch);
  const secrets = new Secrets();
  // Credentials are checked before anything is declared: a missing one touches no resource.
  const openstackAuth = specs.some((s) => s.name === "openstack") ? operatorAuth(config, secrets.has("openstackPassword")) : undefined;
  const classes = resourceClasses(specs);
  const kubernetesVersion = require("@pulumi/kubernetes/package.json").version as string;
  const clusters = {
    management: specs.some((s) => s.cluster === "management") ? kubernetesProvider("management", config, secrets) : undefined,
    workload: specs.some((s) => s.cluster === "workload") ? kubernetesProvider("workload", config, secrets) : undefined,
  };
  const crdProvider = clusters.management || clusters.workload ? new CrdProvider() : undefined;
  const providers: Record<string, pulumi.ProviderResource> = {
    ...(specs.some((s) => s.name === "github") ? githubProviders(config, secrets) : {}),
    ...(openstackAuth ? { [OPENSTACK_PROVIDER]: openstackProvider(config, secrets, openstackAuth) } : {}),
  };

  let previous: Layer | undefined;
  for (const spec of specs) {
    const layer = new Layer(spec.name, {
      spec,
      declared: declareLayer(spec, config, upstream, secrets.overridden()),
      secrets,
      kubernetes: spec.cluster ? clusters[spec.cluster] : undefined,
      cluster: spec.cluster ? clusterAccess(spec.cluster, config, secrets) : undefined,
      crdProvider,
      providers,
      classes,
      kubernetesVersion,
      skipAwait: config.kubernetes?.skipAwait,
      // GitHub stays out of the chain: its webhooks need nothing before them, and a bootstrap
      // applies them last (once hook answers) after every later layer.
      after: previous && spec.name !== "github" ? [previous] : undefined,
    });
    if (spec.name !== "github") previous = layer;
  }
  return {
    layers: specs.map((s) => s.name),
    hookUrl: `https://${config.prow.hostname}/hook`,
  };
}
