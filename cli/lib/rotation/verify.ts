/**
 * The proof a rotation needs before it revokes anything: every Kubernetes Secret that consumes
 * the value holds the new one (compared in memory), and the new credential authenticates
 * where that can be tried from here (Keystone, S3, GitHub, the API server).
 */
import { loadS3 } from "../team/load-s3";
import type { StackConfig } from "../../../config/schema";
import { ProwOpsError, RefusedError, SetupError } from "../../../stacks/core/errors";
import { connect, type Kube } from "../../../stacks/core/kube-client";
import type { SecretName } from "../../../stacks/core/secret-text";
import { operatorAuth } from "../../../stacks/program/openstack";
import { githubApiUrl } from "../repo/github-checks";
import type { Consumer } from "./consumers";
import type { Rotation } from "./kinds";
import { Keystone } from "./keystone";

export interface VerifyContext {
  rotation: Rotation;
  consumers: Consumer[];
  values: Partial<Record<SecretName, string>>;
  config(): StackConfig;
  management(): Promise<Kube>;
  workload(): Promise<Kube>;
}

/** The new value does not work (yet): a failed step, resumable; the old value stays valid. */
const notInUse = (message: string) => new ProwOpsError("VERIFY", message);

const decoded = (data: Record<string, string> | undefined) => Object.values(data ?? {}).map((v) => Buffer.from(v, "base64").toString("utf8"));

async function consumerSecretsHold(c: VerifyContext): Promise<string[]> {
  const lines: string[] = [];
  for (const consumer of c.consumers) {
    if (!consumer.secret) continue;
    const { cluster, namespace, name } = consumer.secret;
    const secret = await (await (cluster === "management" ? c.management() : c.workload())).get(`/api/v1/namespaces/${namespace}/secrets/${name}`);
    const texts = decoded(secret?.data as Record<string, string> | undefined);
    for (const n of c.rotation.group) {
      const value = c.values[n];
      if (value === undefined) throw new SetupError(`the new ${n} is not known to this run: resume it where it was started (prow-ops secrets rotate --resume)`);
      if (!texts.some((t) => t.includes(value))) throw notInUse(`Secret ${namespace}/${name} in the ${cluster} cluster does not hold the new ${n}: the up did not reach it (prow-ops diff ${consumer.layer})`);
    }
    lines.push(`Secret ${namespace}/${name} (${cluster}) holds the new value`);
  }
  return lines;
}

async function s3Works(c: VerifyContext): Promise<string> {
  const { S3Client, HeadBucketCommand } = loadS3();
  const o = c.config().openstack;
  const client = new S3Client({
    endpoint: o.s3Endpoint,
    region: o.region,
    forcePathStyle: true,
    credentials: { accessKeyId: c.values.s3AccessKey as string, secretAccessKey: c.values.s3SecretKey as string },
  });
  try {
    for (const bucket of [o.buckets.logs, o.buckets.tide, o.buckets.statusReconciler]) {
      await client.send(new HeadBucketCommand({ Bucket: bucket })).catch((err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        throw notInUse(`the new S3 credential cannot reach bucket ${bucket} at ${o.s3Endpoint} (${err.$metadata?.httpStatusCode ?? ""} ${err.name}): the old one is kept; resume once the new one works`);
      });
    }
  } finally {
    client.destroy();
  }
  return `the new S3 credential reaches ${o.buckets.logs}, ${o.buckets.tide} and ${o.buckets.statusReconciler}`;
}

export async function githubTokenWorks(token: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${githubApiUrl()}/user`, { headers: { authorization: `Bearer ${token}`, accept: "application/vnd.github+json", "user-agent": "prow-ops" }, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    return `not checked: GitHub API ${githubApiUrl()} not reachable (${(err as Error).message})`;
  }
  if (res.status !== 200) throw new RefusedError(`GitHub refuses the new token (${res.status}): the old one is kept and still in use; run again with a valid token`);
  const login = ((await res.json()) as { login?: string }).login;
  return `GitHub accepts the new token (user ${login ?? "?"})`;
}

/** Lines saying what was proven; throws when the new value does not work. */
export async function newValueWorks(c: VerifyContext): Promise<string[]> {
  const lines = await consumerSecretsHold(c);
  const v = c.values;
  switch (c.rotation.source) {
    case "application-credential":
      if (!(await Keystone.applicationCredentialWorks(c.config().openstack.authUrl, v.openstackApplicationCredentialId as string, v.openstackApplicationCredentialSecret as string))) {
        throw notInUse("Keystone refuses the new application credential: the old one is kept");
      }
      lines.push("Keystone issues a token for the new application credential");
      break;
    case "ec2-credential":
      lines.push(await s3Works(c));
      break;
    case "person": {
      const name = c.rotation.group[0];
      const value = v[name] as string;
      if (name === "githubToken" || name === "cherrypickBotToken") lines.push(await githubTokenWorks(value));
      if (name === "openstackPassword") {
        await Keystone.login(c.config(), operatorAuth(c.config(), true), value);
        lines.push("Keystone logs the operator in with the new password");
      }
      if (name === "managementKubeconfig" || name === "workloadKubeconfig") {
        if (!(await (await connect({ inline: value })).probe(15_000))) throw notInUse(`the new ${name} does not reach its API server: the old one is kept in the providers' state until an up succeeds`);
        lines.push(`the new ${name} reaches its API server`);
      }
      lines.push(`now ${c.rotation.revoke}`);
      break;
    }
    case "generated":
      break;
  }
  return lines;
}
