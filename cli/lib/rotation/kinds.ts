/**
 * How each secret of the stack is rotated: where its new value comes from, which secrets
 * change with it (a key pair changes together), how the new one is proven to work, and how
 * the old one is revoked.
 */
import { createHmac } from "node:crypto";
import type { SecretName } from "../../../stacks/core/secret-text";

export type Source =
  /** Generated here: the HMAC token (20 random bytes as hex). */
  | "generated"
  /** Created in Keystone as the operator, revoked there once the new one works. */
  | "application-credential"
  | "ec2-credential"
  /** Made by a person (a GitHub or Jenkins token, a password, a kubeconfig): read from stdin or a hidden prompt. */
  | "person";

export interface Rotation {
  source: Source;
  /** The secrets replaced together. */
  group: readonly SecretName[];
  /** How the old value stops working, for the plan and the last step. */
  revoke: string;
}

const person = (name: SecretName, revoke: string): Rotation => ({ source: "person", group: [name], revoke });

export const ROTATIONS: Record<SecretName, Rotation> = {
  hmacToken: { source: "generated", group: ["hmacToken"], revoke: "nothing to revoke: the hmac-token Secret and every webhook get the new token in the same up" },
  openstackApplicationCredentialId: { source: "application-credential", group: ["openstackApplicationCredentialId", "openstackApplicationCredentialSecret"], revoke: "the old application credential is deleted in Keystone" },
  openstackApplicationCredentialSecret: { source: "application-credential", group: ["openstackApplicationCredentialId", "openstackApplicationCredentialSecret"], revoke: "the old application credential is deleted in Keystone" },
  s3AccessKey: { source: "ec2-credential", group: ["s3AccessKey", "s3SecretKey"], revoke: "the old EC2 credential is deleted in Keystone" },
  s3SecretKey: { source: "ec2-credential", group: ["s3AccessKey", "s3SecretKey"], revoke: "the old EC2 credential is deleted in Keystone" },
  githubToken: person("githubToken", "revoke the old token in GitHub (the bot's Settings → Developer settings → Personal access tokens)"),
  cherrypickBotToken: person("cherrypickBotToken", "revoke the old token in GitHub (the cherry-pick bot's Settings → Developer settings → Personal access tokens)"),
  jenkinsToken: person("jenkinsToken", "revoke the old API token in Jenkins (the user's Configure → API Token)"),
  openstackPassword: person("openstackPassword", "the old password stopped working when you changed it in OpenStack"),
  managementKubeconfig: person("managementKubeconfig", "revoke the old kubeconfig's credentials where they were issued"),
  workloadKubeconfig: person("workloadKubeconfig", "revoke the old kubeconfig's credentials where they were issued"),
};

/**
 * A value's fingerprint for the journal: an HMAC keyed by the run id, so runs can tell values
 * apart ("is the stack's value the one this run stored?") without keeping anything that
 * reveals them.
 */
export const fingerprint = (runId: string, value: string): string => createHmac("sha256", runId).update(value).digest("hex").slice(0, 16);
