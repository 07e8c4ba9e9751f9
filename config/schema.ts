/**
 * The stack configuration: one zod schema, parsed once before anything is declared.
 * Keys live under the project namespace in Pulumi.<stack>.yaml (e.g. `prow-ops:cluster`).
 * Secrets are not part of it: they are read separately with requireSecret.
 */
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { LAYERS } from "./layer-names";

const cidr = z.string().refine(
  (v) => {
    if (!ipaddr.isValidCIDR(v)) return false;
    const [addr] = ipaddr.parseCIDR(v);
    const network = addr.kind() === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(v) : ipaddr.IPv6.networkAddressFromCIDR(v);
    return network.toString() === addr.toString();
  },
  { error: (iss) => `${JSON.stringify(iss.input)} is not a valid CIDR (expected a network address with a prefix length, such as 10.6.0.0/24)` },
);

const ip = z.string().refine((v) => ipaddr.isValid(v) && ipaddr.IPv4.isValidFourPartDecimal(v), {
  error: (iss) => `${JSON.stringify(iss.input)} is not a valid IPv4 address (expected four decimal parts such as 129.192.83.117)`,
});

const k8sVersion = z.string().regex(/^v\d+\.\d+\.\d+$/, { error: (iss) => `${JSON.stringify(iss.input)} is not a Kubernetes version (expected vMAJOR.MINOR.PATCH such as v1.30.6)` });
const semverTag = z.string().regex(/^v\d+\.\d+\.\d+$/, { error: (iss) => `${JSON.stringify(iss.input)} is not a release tag (expected vMAJOR.MINOR.PATCH)` });
/** A Kubernetes object name (RFC 1123 subdomain). */
const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, {
  error: (iss) => `${JSON.stringify(iss.input)} is not a valid Kubernetes name (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)`,
});
const hostname = z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, { error: (iss) => `${JSON.stringify(iss.input)} is not a DNS host name` });
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: (iss) => `${JSON.stringify(iss.input)} is not an OpenStack UUID` });
const url = z.url({ protocol: /^https?$/, error: (iss) => `${JSON.stringify(iss.input)} is not an http(s) URL` });
const bucket = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: (iss) => `${JSON.stringify(iss.input)} is not a valid S3 bucket name` });
const repo = z.string().regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, { error: (iss) => `${JSON.stringify(iss.input)} is not a GitHub repository (expected ORG/REPO)` });
const positiveInt = z.int().min(0);

const machineTemplate = z.strictObject({
  name: dnsName,
  flavor: z.string().min(1),
  image: z.string().min(1),
  /** Root volume size; omitted means the flavor's ephemeral disk. */
  rootVolumeGiB: z.int().positive().optional(),
});

/**
 * A MachineDeployment's size: owned by the cluster-autoscaler (min/max annotations; the stack
 * then never declares replicas, so server-side apply never fights the autoscaler) or fixed
 * replicas when there is no autoscaler or it is disabled.
 */
const machineDeployment = z
  .strictObject({
    name: dnsName,
    machineTemplate: dnsName,
    replicas: positiveInt.optional(),
    autoscaler: z.strictObject({ min: positiveInt, max: z.int().positive(), enabled: z.boolean().optional() }).optional(),
  })
  .superRefine((md, ctx) => {
    const autoscaled = md.autoscaler !== undefined && md.autoscaler.enabled !== false;
    if (autoscaled && md.replicas !== undefined) {
      ctx.addIssue({ code: "custom", path: ["replicas"], input: md.replicas, message: `${md.replicas}: replicas cannot be set while the autoscaler owns them (autoscaler.enabled is true); disable the autoscaler first (prow-ops autoscaler disable ${md.name})` });
    }
    if (!autoscaled && md.replicas === undefined) {
      ctx.addIssue({ code: "custom", path: ["replicas"], message: "is required when the autoscaler is disabled or absent (expected a number of machines)" });
    }
    if (md.autoscaler && md.autoscaler.min > md.autoscaler.max) {
      ctx.addIssue({ code: "custom", path: ["autoscaler", "min"], input: md.autoscaler.min, message: `${md.autoscaler.min} is greater than autoscaler.max (${md.autoscaler.max})` });
    }
  });

export const isAutoscaled = (md: { autoscaler?: { enabled?: boolean } }): boolean => md.autoscaler !== undefined && md.autoscaler.enabled !== false;

export const openstackSchema = z.strictObject({
  authUrl: url,
  region: z.string().min(1),
  projectName: z.string().min(1),
  projectId: z.string().regex(/^[0-9a-f]{32}$/, { error: (iss) => `${JSON.stringify(iss.input)} is not an OpenStack project id (32 hex digits)` }),
  userDomainName: z.string().min(1),
  /** Name of the cloud in clouds.yaml, as CAPO's identityRef refers to it. */
  cloudName: z.string().min(1),
  applicationCredentialName: z.string().min(1),
  s3Endpoint: url,
  keypair: z.strictObject({ name: z.string().min(1), publicKey: z.string().startsWith("ssh-").optional() }),
  buckets: z.strictObject({ logs: bucket, tide: bucket, statusReconciler: bucket }),
  logRetentionDays: z.int().positive(),
  /**
   * How the openstack layer's provider authenticates as the operator (not the application
   * credential it creates): operatorUser with the secret openstackPassword, or a cloud of the
   * operator's clouds.yaml (operatorCloud, else $OS_CLOUD).
   */
  operatorUser: z.string().min(1).optional(),
  operatorCloud: z.string().min(1).optional(),
});

export const clusterSchema = z
  .strictObject({
    name: dnsName,
    namespace: dnsName,
    kubernetesVersion: k8sVersion,
    podCIDR: cidr,
    serviceDomain: hostname.or(z.literal("cluster.local")),
    subnetCIDR: cidr,
    allowedCIDRs: z.array(cidr).min(1),
    externalNetworkId: uuid,
    dnsNameservers: z.array(ip).min(1),
    failureDomain: z.string().min(1),
    sshKeyName: z.string().min(1),
    kubeletReserved: z.strictObject({ kube: z.string().min(1), system: z.string().min(1) }),
    bastion: z.strictObject({ enabled: z.boolean(), flavor: z.string().min(1), image: z.string().min(1) }),
    machineTemplates: z.array(machineTemplate).min(1),
    controlPlane: z.strictObject({ replicas: z.int().positive().refine((n) => n % 2 === 1, { error: "must be odd (etcd quorum)" }), machineTemplate: dnsName }),
    workers: machineDeployment,
    infraNodes: machineDeployment,
  })
  .superRefine((c, ctx) => {
    const names = new Set(c.machineTemplates.map((t) => t.name));
    const check = (path: (string | number)[], name: string) => {
      if (!names.has(name)) ctx.addIssue({ code: "custom", path, input: name, message: `${JSON.stringify(name)} is not one of cluster.machineTemplates[].name (${[...names].join(", ")})` });
    };
    check(["controlPlane", "machineTemplate"], c.controlPlane.machineTemplate);
    check(["workers", "machineTemplate"], c.workers.machineTemplate);
    check(["infraNodes", "machineTemplate"], c.infraNodes.machineTemplate);
    if (c.workers.name === c.infraNodes.name) {
      ctx.addIssue({ code: "custom", path: ["infraNodes", "name"], input: c.infraNodes.name, message: `${JSON.stringify(c.infraNodes.name)} is also the workers' name; the two MachineDeployments need different names` });
    }
  });

export const ingressSchema = z.strictObject({
  loadBalancerIP: ip,
  replicas: z.int().positive(),
  acmeEmail: z.email({ error: (iss) => `${JSON.stringify(iss.input)} is not an e-mail address` }),
});

export const prowSchema = z.strictObject({
  hostname,
  imageTag: z.string().regex(/^v\d{8}-[0-9a-f]{7,}$/, { error: (iss) => `${JSON.stringify(iss.input)} is not a Prow image tag (expected vYYYYMMDD-<commit>)` }),
  labelSyncImage: z.string().min(1),
  jenkins: z.strictObject({ url, user: z.string().min(1) }),
  /** Orgs whose webhook is set at org level, and repos with a repo-level webhook. */
  orgs: z.array(z.string().regex(/^[A-Za-z0-9-]+$/)).min(1),
  repos: z.array(repo),
});

export const versionsSchema = z.strictObject({
  clusterApi: semverTag,
  capo: semverTag,
  certManager: semverTag,
  clusterApiOperator: semverTag,
  calico: semverTag,
  cloudProviderOpenstack: semverTag,
  ingressNginx: z.string().regex(/^controller-v\d+\.\d+\.\d+$/, { error: (iss) => `${JSON.stringify(iss.input)} is not an ingress-nginx tag (expected controller-vMAJOR.MINOR.PATCH)` }),
  clusterAutoscaler: semverTag,
});

/** image-builder's OpenStack settings for node images (the reference README's var file; the Kubernetes fields come from the version). */
export const nodeImagesSchema = z.strictObject({
  sourceImage: z.string().min(1),
  networks: z.string().min(1),
  flavor: z.string().min(1),
  floatingIpNetwork: z.string().min(1),
  sshUsername: z.string().min(1),
  volumeType: z.string().optional(),
  /** The Debian package revision of the Kubernetes packages (kubernetes_deb_version = <semver>-<revision>). Default 1.1. */
  debRevision: z.string().regex(/^\d+\.\d+$/).optional(),
});

const clusterAccess = z.strictObject({ kubeconfig: z.string().min(1).optional(), context: z.string().min(1).optional() });

export const CLUSTER_ROLES = ["management", "workload"] as const;
export type ClusterRole = (typeof CLUSTER_ROLES)[number];

/**
 * The path through the cluster's bastion: which clusters are reached only through it (the
 * workload cluster, and the management cluster too once it manages itself), and the ssh login.
 */
const bastionAccess = z.strictObject({
  clusters: z.array(z.enum(CLUSTER_ROLES)).min(1),
  user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, { error: (iss) => `${JSON.stringify(iss.input)} is not a login name` }),
  /** The private key for the bastion; default: ssh-agent and ssh's own defaults. */
  identityFile: z.string().min(1).optional(),
});

export { LAYERS, type LayerName } from "./layer-names";

export const stackConfigSchema = z.strictObject({
  openstack: openstackSchema,
  cluster: clusterSchema,
  ingress: ingressSchema,
  prow: prowSchema,
  versions: versionsSchema,
  nodeImages: nodeImagesSchema.optional(),
  /** Layers this stack declares; a runbook enables them step by step. Default: all. */
  layers: z.array(z.enum(LAYERS)).optional(),
  /**
   * How the Kubernetes layers reach their clusters. Kubeconfig contents may instead be set as
   * secrets (managementKubeconfig / workloadKubeconfig); without either, the ambient kubeconfig is used.
   */
  kubernetes: z
    .strictObject({
      management: clusterAccess.optional(),
      workload: clusterAccess.optional(),
      bastion: bastionAccess.optional(),
      /**
       * clusterctl's configuration file for bootstrap's `clusterctl init` and `move` (e.g. the
       * providers' repositories on a mirror, for sites that cannot reach GitHub). Default: clusterctl's own.
       */
      clusterctlConfig: z.string().min(1).optional(),
      /** Where `access --temporary-ip` learns the operator's public address (answers it as plain text). Default https://api.ipify.org. */
      publicAddressUrl: url.optional(),
      /**
       * Adds pulumi.com/skipAwait to every object. Only for API servers without controllers
       * (the integration test bed); production waits for readiness.
       */
      skipAwait: z.boolean().optional(),
      /**
       * Overrides every admission webhook's failurePolicy. Only for API servers where no webhook
       * server can run (the integration test bed); production keeps the manifests' policies.
       */
      webhookFailurePolicy: z.enum(["Ignore"]).optional(),
    })
    .optional(),
});

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type ClusterConfig = StackConfig["cluster"];
