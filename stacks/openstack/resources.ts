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

const resource = (type: string, name: string, inputs: Record<string, unknown>, extra: Partial<DeclaredResource> = {}): DeclaredResource => ({
  kind: "resource",
  type,
  name,
  inputs,
  dependsOn: [],
  ...extra,
});

/** S3 lifecycle rule: objects under every prefix expire after the retention period. */
export function lifecycleXml(days: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<LifecycleConfiguration><Rule><ID>log-retention</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status><Expiration><Days>${days}</Days></Expiration></Rule></LifecycleConfiguration>
`;
}

/**
 * Swift has no bucket lifecycle; radosgw's S3 API has. The rule is set with s3cmd (as the
 * runbook does); credentials reach it only through the environment, never argv.
 */
function logRetention(c: StackConfig, bucketResource: string): DeclaredResource {
  const host = new URL(c.openstack.s3Endpoint).host;
  const bucket = `s3://${c.openstack.buckets.logs}`;
  const s3cmd = `s3cmd --host=${host} --host-bucket=${host} --access_key="$AWS_ACCESS_KEY_ID" --secret_key="$AWS_SECRET_ACCESS_KEY"`;
  return resource(
    "command:local:Command",
    "prow-logs-retention",
    {
      create: `${s3cmd} setlifecycle /dev/stdin ${bucket}`,
      update: `${s3cmd} setlifecycle /dev/stdin ${bucket}`,
      delete: `${s3cmd} dellifecycle ${bucket}`,
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

