/**
 * Secrets inside declarations. A layer's plan never sees a secret value: it places
 * `SecretRef`s (inside `SecretText` templates) where secrets go. The Pulumi program
 * resolves them to secret Outputs; the offline render replaces them with a marker.
 */

export const SECRET_NAMES = [
  "openstackApplicationCredentialId",
  "openstackApplicationCredentialSecret",
  "s3AccessKey",
  "s3SecretKey",
  "hmacToken",
  "githubToken",
  "cherrypickBotToken",
  "jenkinsToken",
  "managementKubeconfig",
  "workloadKubeconfig",
  "openstackPassword",
] as const;

export type SecretName = (typeof SECRET_NAMES)[number];

/** What each secret is, and whether the stack works without it (created, or another way exists). */
export const SECRET_INFO: Record<SecretName, { what: string; whenUnset: "required" | "created by the stack" | "optional" }> = {
  githubToken: { what: "GitHub token of the metal3-io-bot (Prow, webhooks)", whenUnset: "required" },
  cherrypickBotToken: { what: "GitHub token of the cherry-pick bot", whenUnset: "required" },
  jenkinsToken: { what: "Jenkins API token (Prow's Jenkins operator)", whenUnset: "required" },
  hmacToken: { what: "HMAC token of the GitHub webhooks", whenUnset: "created by the stack" },
  s3AccessKey: { what: "S3 access key of the Prow buckets", whenUnset: "created by the stack" },
  s3SecretKey: { what: "S3 secret key of the Prow buckets", whenUnset: "created by the stack" },
  openstackApplicationCredentialId: { what: "application credential id for CAPO and the cloud provider", whenUnset: "created by the stack" },
  openstackApplicationCredentialSecret: { what: "application credential secret for CAPO and the cloud provider", whenUnset: "created by the stack" },
  managementKubeconfig: { what: "kubeconfig of the management cluster (else prow-ops:kubernetes.management)", whenUnset: "optional" },
  workloadKubeconfig: { what: "kubeconfig of the workload cluster (else prow-ops:kubernetes.workload)", whenUnset: "optional" },
  openstackPassword: { what: "your OpenStack password, with prow-ops:openstack.operatorUser (else OS_CLOUD)", whenUnset: "optional" },
};

/** The fixed marker the offline render writes wherever a secret would be. */
export const REDACTED = "<redacted:secret>";

export class SecretRef {
  constructor(readonly name: SecretName) {}
}

/** A string assembled from literal parts and secrets, e.g. the body of clouds.yaml. */
export class SecretText {
  constructor(
    readonly parts: ReadonlyArray<string | SecretRef>,
    /** "base64" for Secret.data values: the joined text is encoded after resolution. */
    readonly encoding?: "base64",
  ) {}

  base64(): SecretText {
    return new SecretText(this.parts, "base64");
  }

  /** The text with every secret looked up (tests use canary values; the program uses Outputs instead). */
  resolve(lookup: (name: SecretName) => string): string {
    const text = this.parts.map((p) => (typeof p === "string" ? p : lookup(p.name))).join("");
    return this.encoding === "base64" ? Buffer.from(text).toString("base64") : text;
  }

  secretsUsed(): SecretName[] {
    return this.parts.filter((p): p is SecretRef => p instanceof SecretRef).map((p) => p.name);
  }
}

export const secretRef = (name: SecretName): SecretText => new SecretText([new SecretRef(name)]);

/** Tagged template: secretText`id=${secretRef("x")}` keeps the secret parts separate. */
export function secretText(strings: TemplateStringsArray, ...values: Array<string | SecretText>): SecretText {
  const parts: Array<string | SecretRef> = [];
  strings.forEach((literal, i) => {
    parts.push(literal);
    const value = values[i];
    if (value === undefined) return;
    if (typeof value === "string") parts.push(value);
    else parts.push(...value.parts);
  });
  return new SecretText(parts.filter((p) => p !== ""));
}

/** Deeply maps every SecretText in a plain JSON-like value. */
export function mapSecretTexts<T>(value: unknown, fn: (text: SecretText) => T): unknown {
  if (value instanceof SecretText) return fn(value);
  if (Array.isArray(value)) return value.map((v) => mapSecretTexts(v, fn));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapSecretTexts(v, fn);
    return out;
  }
  return value;
}

/** The offline form: every secret part becomes the redaction marker. */
export const redact = (text: SecretText): string =>
  text.encoding === "base64" ? REDACTED : text.resolve(() => REDACTED);
