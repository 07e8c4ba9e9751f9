/**
 * The team store in the S3 bucket that holds the Pulumi state (the cloud's own object store):
 * `s3://<bucket>[/<prefix>]?endpoint=...&s3ForcePathStyle=true&region=...`, the URL form
 * Pulumi's S3 backend takes. Credentials as for the backend: AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY (or an AWS profile). `create` is a conditional PUT (If-None-Match: *),
 * so two maintainers can never both take the lock.
 */
import { loadS3 } from "./load-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { UsageError } from "../../../stacks/core/errors";
import { TEAM_DIR, type TeamStore } from "./store";

export class S3Store implements TeamStore {
  readonly location: string;

  private constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {
    this.location = `s3://${bucket}/${prefix}`;
  }

  static fromBackendUrl(url: string): S3Store {
    const u = new URL(url);
    if (!u.hostname) throw new UsageError(`backend ${url} names no bucket (expected s3://<bucket>?endpoint=...)`);
    // The pinned SDK runs on Node 20; its notice about future releases is not for the operator.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const { S3Client } = loadS3();
    const endpoint = u.searchParams.get("endpoint");
    const client = new S3Client({
      region: u.searchParams.get("region") ?? process.env.AWS_REGION ?? "us-east-1",
      forcePathStyle: u.searchParams.get("s3ForcePathStyle") === "true",
      ...(endpoint ? { endpoint: /^https?:\/\//.test(endpoint) ? endpoint : `${u.searchParams.get("disableSSL") === "true" ? "http" : "https"}://${endpoint}` } : {}),
    });
    const path = u.pathname.replace(/^\/+|\/+$/g, "");
    return new S3Store(client, u.hostname, `${path ? `${path}/` : ""}${TEAM_DIR}/`);
  }

  private key(key: string): string {
    return `${this.prefix}${key}`;
  }

  private get s3() {
    return loadS3();
  }

  async create(key: string, body: string): Promise<boolean> {
    try {
      await this.client.send(new this.s3.PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: body, IfNoneMatch: "*" }));
      return true;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return false;
      throw err;
    }
  }

  async read(key: string): Promise<string | undefined> {
    try {
      const res = await this.client.send(new this.s3.GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return await res.Body?.transformToString();
    } catch (err) {
      if ((err as { name?: string }).name === "NoSuchKey" || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }

  async write(key: string, body: string): Promise<void> {
    await this.client.send(new this.s3.PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: body }));
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new this.s3.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    const base = this.key(prefix.endsWith("/") ? prefix : `${prefix}/`);
    do {
      const res = await this.client.send(new this.s3.ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, ContinuationToken: token }));
      for (const o of res.Contents ?? []) if (o.Key && !o.Key.slice(base.length).includes("/")) keys.push(o.Key.slice(this.prefix.length));
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }
}
