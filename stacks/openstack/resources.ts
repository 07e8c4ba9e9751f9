/**
 * OpenStack resources the hand-run system creates with the openstack and s3cmd CLIs:
 * the application credential for CAPO and the cloud provider, EC2 (S3) credentials, the
 * buckets (Swift containers are the S3 buckets of the same project on radosgw), the
 * prow-logs retention lifecycle and the metal3ci keypair.
 */
import type { StackConfig } from "../../config/schema";
import type { DeclaredResource } from "../core/declared";
import { secretRef } from "../core/secret-text";

export const APP_CREDENTIAL = "application-credential";
export const EC2_CREDENTIAL = "s3-credential";

/** Selects the explicit openstack provider (configured from the stack, stacks/program/openstack.ts). */
export const OPENSTACK_PROVIDER = "openstack";

const resource = (type: string, name: string, inputs: Record<string, unknown>, extra: Partial<DeclaredResource> = {}): DeclaredResource => ({
  kind: "resource",
  type,
  name,
  inputs,
  dependsOn: [],
  ...(type.startsWith("openstack:") ? { providerKey: OPENSTACK_PROVIDER } : {}),
  ...extra,
});

/** S3 lifecycle rule: objects under every prefix expire after the retention period. */
export function lifecycleXml(days: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<LifecycleConfiguration><Rule><ID>log-retention</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>${days}</Days></Expiration></Rule></LifecycleConfiguration>
`;
}

/**
 * An s3cmd call whose keys never reach a command line (where `ps` shows them to every user):
 * the shell writes them from its environment, with the printf builtin, into a 0600 config
 * file made for this call, drops them from the environment and removes the file on exit.
 */
export function s3cmdScript(endpoint: string, args: string): string {
  const host = new URL(endpoint).host;
  return [
    "set -eu",
    "umask 077",
    "cfg=$(mktemp)",
    `trap 'rm -f "$cfg"' EXIT`,
    `printf '[default]\\naccess_key = %s\\nsecret_key = %s\\nhost_base = ${host}\\nhost_bucket = ${host}\\nuse_https = True\\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" > "$cfg"`,
    "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY",
    `s3cmd --config="$cfg" ${args}`,
  ].join("\n");
}

/** Swift has no bucket lifecycle; radosgw's S3 API has. The rule is set with s3cmd (as the runbook does). */
function logRetention(c: StackConfig, bucketResource: string): DeclaredResource {
  const bucket = `s3://${c.openstack.buckets.logs}`;
  const setLifecycle = s3cmdScript(c.openstack.s3Endpoint, `setlifecycle /dev/stdin ${bucket}`);
  return resource(
    "command:local:Command",
    "prow-logs-retention",
    {
      create: setLifecycle,
      update: setLifecycle,
      delete: s3cmdScript(c.openstack.s3Endpoint, `dellifecycle ${bucket}`),
      stdin: lifecycleXml(c.openstack.logRetentionDays),
      environment: { AWS_ACCESS_KEY_ID: secretRef("s3AccessKey"), AWS_SECRET_ACCESS_KEY: secretRef("s3SecretKey") },
      triggers: [c.openstack.logRetentionDays, c.openstack.buckets.logs],
    },
    { dependsOn: [bucketResource] },
  );
}

export function openstackResources(c: StackConfig): DeclaredResource[] {
  const o = c.openstack;
  const buckets = [o.buckets.logs, o.buckets.tide, o.buckets.statusReconciler].map((name) =>
    resource("openstack:objectstorage/container:Container", `bucket-${name}`, { name, region: o.region }),
  );
  return [
    resource(
      "openstack:identity/applicationCredential:ApplicationCredential",
      APP_CREDENTIAL,
      { name: o.applicationCredentialName, description: "CAPO and the OpenStack cloud provider of the Prow cluster", region: o.region }
    ),
    resource("openstack:identity/ec2CredentialV3:Ec2CredentialV3", EC2_CREDENTIAL, { projectId: o.projectId, region: o.region }),
    ...buckets,
    logRetention(c, `bucket-${o.buckets.logs}`),
    ...(o.keypair.publicKey ? [resource("openstack:compute/keypair:Keypair", `keypair-${o.keypair.name}`, { name: o.keypair.name, publicKey: o.keypair.publicKey, region: o.region })] : []),
  ];
}

