/**
 * Resource classes by type token, loaded only for the layers in use (the provider SDKs are
 * large; a Kubernetes-only stack never loads them).
 */
import type { LayerSpec } from "../layers";
import type { ResourceClass } from "./layer";

type WithToken = ResourceClass & { __pulumiType: string };

const byToken = (classes: WithToken[]): Record<string, ResourceClass> => Object.fromEntries(classes.map((c) => [c.__pulumiType, c]));

export function resourceClasses(specs: LayerSpec[]): Record<string, ResourceClass> {
  const names = new Set(specs.map((s) => s.name));
  const out: Record<string, ResourceClass> = {};
  if (names.has("openstack")) {
    const openstack = require("@pulumi/openstack") as typeof import("@pulumi/openstack");
    const command = require("@pulumi/command") as typeof import("@pulumi/command");
    Object.assign(
      out,
      byToken([
        openstack.identity.ApplicationCredential,
        openstack.identity.Ec2CredentialV3,
        openstack.objectstorage.Container,
        openstack.compute.Keypair,
        command.local.Command,
      ] as unknown as WithToken[]),
    );
  }
  if (names.has("github")) {
    const github = require("@pulumi/github") as typeof import("@pulumi/github");
    const random = require("@pulumi/random") as typeof import("@pulumi/random");
    Object.assign(out, byToken([github.OrganizationWebhook, github.RepositoryWebhook, random.RandomBytes] as unknown as WithToken[]));
  }
  return out;
}
