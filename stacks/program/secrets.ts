/**
 * Where each secret comes from: a secure config value when set (an override), otherwise the
 * resource the stack creates for it, otherwise a required config value. Values stay secret
 * Outputs all the way into the resources.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../config/load";
import { CREATED_BY } from "../core/created-secrets";
import { SECRET_NAMES, type SecretName, SecretRef, type SecretText } from "../core/secret-text";

export { CREATED_BY };

export class Secrets {
  private readonly config = new pulumi.Config(PROJECT);
  private readonly cache = new Map<SecretName, pulumi.Output<string>>();
  private readonly created = new Map<string, pulumi.CustomResource>();

  /** Layers report each resource they create, so later declarations can use its outputs. */
  register(layer: string, name: string, resource: pulumi.CustomResource): void {
    this.created.set(`${layer}/${name}`, resource);
  }

  private createdOutput([layer, name, property]: readonly [string, string, string]): pulumi.Output<string> | undefined {
    const resource = this.created.get(`${layer}/${name}`) as unknown as Record<string, pulumi.Output<string>> | undefined;
    return resource?.[property];
  }

  /** Whether the stack config holds this secret (the value is not read). */
  has(name: SecretName): boolean {
    return this.config.getSecret(name) !== undefined;
  }

  /** The secrets the stack config sets (overriding what the stack would create). */
  overridden(): Set<SecretName> {
    return new Set(SECRET_NAMES.filter((n) => this.has(n)));
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
