/**
 * Where each secret comes from: a secure config value when set (an override), otherwise the
 * resource the stack creates for it, otherwise a required config value. Values stay secret
 * Outputs all the way into the resources.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../config/load";
import { HMAC_TOKEN } from "../github/resources";
import { APP_CREDENTIAL, EC2_CREDENTIAL } from "../openstack/resources";
import { type SecretName, SecretRef, type SecretText } from "../core/secret-text";

/** Secrets the stack can create: [layer, declaration, output property]. */
export const CREATED_BY: Partial<Record<SecretName, [string, string, string]>> = {
  openstackApplicationCredentialId: ["openstack", APP_CREDENTIAL, "id"],
  openstackApplicationCredentialSecret: ["openstack", APP_CREDENTIAL, "secret"],
  s3AccessKey: ["openstack", EC2_CREDENTIAL, "access"],
  s3SecretKey: ["openstack", EC2_CREDENTIAL, "secret"],
  hmacToken: ["github", HMAC_TOKEN, "hex"],
};

export class Secrets {
  private readonly config = new pulumi.Config(PROJECT);
  private readonly cache = new Map<SecretName, pulumi.Output<string>>();
  private readonly created = new Map<string, pulumi.CustomResource>();

  /** Layers report each resource they create, so later declarations can use its outputs. */
  register(layer: string, name: string, resource: pulumi.CustomResource): void {
    this.created.set(`${layer}/${name}`, resource);
  }

  private createdOutput([layer, name, property]: [string, string, string]): pulumi.Output<string> | undefined {
    const resource = this.created.get(`${layer}/${name}`) as unknown as Record<string, pulumi.Output<string>> | undefined;
    return resource?.[property];
  }

  /** Whether the stack config holds this secret (the value is not read). */
  has(name: SecretName): boolean {
    return this.config.getSecret(name) !== undefined;
  }

  get(name: SecretName): pulumi.Output<string> {
    let value = this.cache.get(name);
    if (!value) {
      const source = CREATED_BY[name];
      value = this.config.getSecret(name) ?? (source && this.createdOutput(source)) ?? this.config.requireSecret(name);
      value = pulumi.secret(value);
      this.cache.set(name, value);
    }
    return value;
  }

  /** A secret template as one secret Output (base64-encoded where the template says so). */
  resolve(text: SecretText): pulumi.Output<string> {
    const parts = text.parts.map((p) => (p instanceof SecretRef ? this.get(p.name) : p));
    return pulumi.secret(
      pulumi.all(parts).apply((values) => {
        const joined = values.join("");
        return text.encoding === "base64" ? Buffer.from(joined).toString("base64") : joined;
      }),
    );
  }
}
