/**
 * Which outputs of each resource type carry a secret: the one place these decisions live.
 * The program registers every listed output as secret (`additionalSecretOutputs`, merged with
 * what the provider's SDK already marks), so the engine encrypts it in the state; the unit
 * tests check every resource of every layer against this table and require an entry for
 * every type a layer declares.
 *
 * What Pulumi cannot encrypt is a resource's id. Where a provider makes a credential's
 * identifier its id, the decision says so.
 */

export interface SecretOutputDecision {
  /** Outputs registered as secret. */
  readonly secret: readonly string[];
  readonly why: string;
  /** Set where the resource's id is itself a credential's identifier: why it may stay plain. */
  readonly plainId?: string;
}

const IDS_ARE_PLAIN = "Pulumi stores every resource id unencrypted, by design.";

export const SECRET_OUTPUTS: Readonly<Record<string, SecretOutputDecision>> = {
  "random:index/randomBytes:RandomBytes": {
    secret: ["hex", "base64"],
    why: "The HMAC token: hex is sent to every GitHub webhook and put in the hmac-token Secret; base64 is the same bytes. Its id is a hash, not the value (RandomId, used before, kept every encoding in plain text).",
  },
  "openstack:identity/applicationCredential:ApplicationCredential": {
    secret: ["secret"],
    why: "secret authenticates (the SDK marks it). The credential's id is read from the resource's id and used only inside secret Outputs (clouds.yaml, cloud.conf).",
    plainId: `${IDS_ARE_PLAIN} The id names the credential and grants nothing without its secret (Keystone lists it to the project's users); to keep it out of the state, create the credential outside the stack and set openstackApplicationCredentialId/-Secret.`,
  },
  "openstack:identity/ec2CredentialV3:Ec2CredentialV3": {
    secret: ["access", "secret"],
    why: "The S3 keys of the logs, tide and status-reconciler buckets. secret authenticates (the SDK marks it); access is registered as secret too (the SDK does not mark it).",
    plainId: `${IDS_ARE_PLAIN} terraform-provider-openstack makes the access key the resource's id, so with a created credential the access key (an identifier, like an AWS access key id; it grants nothing without the secret key) is in the state in plain text. To keep it out entirely, create the credential outside the stack and set s3AccessKey/s3SecretKey.`,
  },
  "openstack:objectstorage/container:Container": { secret: [], why: "A bucket: name and region only." },
  "openstack:compute/keypair:Keypair": {
    secret: ["privateKey"],
    why: "Only a public key is given, so no private key is ever generated; the SDK marks privateKey should one be.",
  },
  "command:local:Command": {
    secret: ["stdout", "stderr", "environment"],
    why: "s3cmd gets the S3 keys through its environment and a temporary 0600 file; its output is kept secret in case an error echoes its configuration.",
  },
  "github:index/organizationWebhook:OrganizationWebhook": { secret: ["configuration"], why: "configuration.secret is the HMAC token." },
  "github:index/repositoryWebhook:RepositoryWebhook": { secret: ["configuration"], why: "configuration.secret is the HMAC token." },
  "pulumi-nodejs:dynamic/prow-ops:CustomResourceDefinition": {
    secret: ["kubeconfig"],
    why: "A CRD: its name and the sha256 of its manifest, plus how its cluster is reached; kubeconfig (contents set as a secret) carries the cluster's credentials.",
  },
  "kubernetes:core/v1:Secret": { secret: ["data", "stringData"], why: "Every Kubernetes Secret holds credentials." },
};

export function secretOutputsOf(type: string): readonly string[] {
  return SECRET_OUTPUTS[type]?.secret ?? [];
}
