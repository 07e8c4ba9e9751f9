/**
 * The secrets the stack can create itself, and the declaration that creates each. A secret set
 * in the stack's config overrides its creator; once every secret a declaration creates is
 * overridden, the declaration is dropped, so the stack deletes the credential nothing uses
 * (a rotation revokes a stack-created credential this way, after the new one is verified).
 */
import { HMAC_TOKEN } from "../github/resources";
import { APP_CREDENTIAL, EC2_CREDENTIAL } from "../openstack/resources";
import type { Declared } from "./declared";
import type { SecretName } from "./secret-text";

/** [layer, declaration, output property] of each secret the stack can create. */
export const CREATED_BY: Partial<Record<SecretName, readonly [string, string, string]>> = {
  openstackApplicationCredentialId: ["openstack", APP_CREDENTIAL, "id"],
  openstackApplicationCredentialSecret: ["openstack", APP_CREDENTIAL, "secret"],
  s3AccessKey: ["openstack", EC2_CREDENTIAL, "access"],
  s3SecretKey: ["openstack", EC2_CREDENTIAL, "secret"],
  hmacToken: ["github", HMAC_TOKEN, "hex"],
};

/** The secrets one declaration creates. */
export const createdBy = (layer: string, name: string): SecretName[] =>
  (Object.entries(CREATED_BY) as Array<[SecretName, readonly [string, string, string]]>).filter(([, [l, n]]) => l === layer && n === name).map(([s]) => s);

/** A layer's declarations without the creators whose every secret is overridden. */
export function withoutOverriddenCreators(layer: string, declared: Declared[], overridden: ReadonlySet<SecretName>): Declared[] {
  return declared.filter((d) => {
    const creates = createdBy(layer, d.name);
    return creates.length === 0 || !creates.every((s) => overridden.has(s));
  });
}
