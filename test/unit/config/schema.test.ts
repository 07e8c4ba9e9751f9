import { ConfigError } from "../../../stacks/core/errors";
import { parseStackConfig } from "../../../config/load";
import { rawProdConfig } from "../../helpers/config";

/** Sets a value at a dotted path like "cluster.allowedCIDRs[0]". */
function withValue(path: string, value: unknown): Record<string, unknown> {
  const raw = rawProdConfig();
  const keys = path.replace(/\[(\d+)\]/g, ".$1").split(".");
  let node = raw as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  return raw;
}

function errorOf(raw: Record<string, unknown>): string {
  try {
    parseStackConfig(raw, "Pulumi.prow.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("the config was accepted");
}

describe("stack config schema", () => {
  test("GIVEN the production stack file WHEN parsed THEN it is valid and carries the reference values", () => {
    const c = parseStackConfig(rawProdConfig(), "Pulumi.prow.yaml");
    expect(c.cluster.kubernetesVersion).toBe("v1.30.6");
    expect(c.cluster.allowedCIDRs).toEqual(["10.6.0.0/24"]);
    expect(c.cluster.bastion).toEqual({ enabled: true, flavor: "c1m2", image: "Ubuntu-22.04-jammy" });
    expect(c.ingress.loadBalancerIP).toBe("129.192.83.117");
    expect(c.versions.certManager).toBe("v1.16.1");
  });

  test.each([
    ["cluster.allowedCIDRs[0]", "10.6.0.0/33", /prow-ops:cluster\.allowedCIDRs\[0\]: "10\.6\.0\.0\/33" is not a valid CIDR/],
    ["cluster.allowedCIDRs[0]", "10.6.0.1/24", /cluster\.allowedCIDRs\[0\]: "10\.6\.0\.1\/24" is not a valid CIDR/],
    ["cluster.podCIDR", "192.168.0.0", /cluster\.podCIDR: "192\.168\.0\.0" is not a valid CIDR/],
    ["cluster.subnetCIDR", "banana", /cluster\.subnetCIDR: "banana" is not a valid CIDR/],
    ["cluster.kubernetesVersion", "1.30.6", /cluster\.kubernetesVersion: "1\.30\.6" is not a Kubernetes version \(expected vMAJOR\.MINOR\.PATCH/],
    ["cluster.externalNetworkId", "internet", /cluster\.externalNetworkId: "internet" is not an OpenStack UUID/],
    ["cluster.dnsNameservers[0]", "8.8.8", /cluster\.dnsNameservers\[0\]: "8\.8\.8" is not a valid IPv4 address/],
    ["cluster.name", "Prow_Cluster", /cluster\.name: "Prow_Cluster" is not a valid Kubernetes name/],
    ["cluster.controlPlane.replicas", 2, /cluster\.controlPlane\.replicas: must be odd/],
    ["cluster.workers.autoscaler.min", 6, /cluster\.workers\.autoscaler\.min: 6 is greater than autoscaler\.max \(5\)/],
    ["cluster.workers.machineTemplate", "prow-worker-v9", /cluster\.workers\.machineTemplate: "prow-worker-v9" is not one of cluster\.machineTemplates\[\]\.name/],
    ["cluster.machineTemplates[0].rootVolumeGiB", -1, /cluster\.machineTemplates\[0\]\.rootVolumeGiB/],
    ["cluster.allowedCIDRs", [], /cluster\.allowedCIDRs/],
    ["cluster.bastion.enabled", "yes", /cluster\.bastion\.enabled: "yes" is not true or false/],
    ["ingress.loadBalancerIP", "129.192.83.300", /ingress\.loadBalancerIP: "129\.192\.83\.300" is not a valid IPv4 address/],
    ["ingress.acmeEmail", "nobody", /ingress\.acmeEmail: "nobody" is not an e-mail address/],
    ["prow.hostname", "prow", /prow\.hostname: "prow" is not a DNS host name/],
    ["prow.imageTag", "latest", /prow\.imageTag: "latest" is not a Prow image tag/],
    ["prow.jenkins.url", "jenkins.nordix.org", /prow\.jenkins\.url: "jenkins\.nordix\.org" is not an http\(s\) URL/],
    ["prow.repos[0]", "metal3-dev-tools", /prow\.repos\[0\]: "metal3-dev-tools" is not a GitHub repository \(expected ORG\/REPO\)/],
    ["openstack.projectId", "EST_Metal3_CI", /openstack\.projectId: "EST_Metal3_CI" is not an OpenStack project id/],
    ["openstack.buckets.logs", "Prow_Logs", /openstack\.buckets\.logs: "Prow_Logs" is not a valid S3 bucket name/],
    ["openstack.logRetentionDays", 0, /openstack\.logRetentionDays/],
    ["versions.clusterApi", "1.8.5", /versions\.clusterApi: "1\.8\.5" is not a release tag/],
    ["versions.ingressNginx", "v1.10.4", /versions\.ingressNginx: "v1\.10\.4" is not an ingress-nginx tag/],
    ["layers", ["prow", "gitlab"], /layers\[1\]/],
  ])("GIVEN %s = %j WHEN parsed THEN it is refused naming the key and the value", (path, value, expected) => {
    expect(errorOf(withValue(path, value))).toMatch(expected);
  });

  test("GIVEN a missing required key WHEN parsed THEN the message names it as required", () => {
    expect(errorOf(withValue("cluster.kubernetesVersion", undefined))).toMatch(/prow-ops:cluster\.kubernetesVersion: is required/);
  });

  test("GIVEN a misspelt key WHEN parsed THEN it is refused as unknown instead of silently ignored", () => {
    const raw = withValue("cluster.allowedCidrs", ["1.2.3.4/32"]);
    expect(errorOf(raw)).toMatch(/prow-ops:cluster: unknown key\(s\) "allowedCidrs"/);
  });

  test("GIVEN several bad values WHEN parsed THEN every one is reported, with how to fix them", () => {
    const raw = withValue("cluster.kubernetesVersion", "latest");
    (raw.ingress as Record<string, unknown>).loadBalancerIP = "nope";
    const message = errorOf(raw);
    expect(message).toMatch(/cluster\.kubernetesVersion/);
    expect(message).toMatch(/ingress\.loadBalancerIP/);
    expect(message).toMatch(/prow-ops config set <key> <value>/);
    expect(message).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe("what a wrong value is reported as", () => {
  test.each([
    ["cluster.infraNodes.replicas", "two", /prow-ops:cluster\.infraNodes\.replicas: "two" is not a number/],
    ["cluster.bastion.enabled", "maybe", /prow-ops:cluster\.bastion\.enabled: "maybe" is not true or false/],
    ["cluster.allowedCIDRs", "10.6.0.0/24", /prow-ops:cluster\.allowedCIDRs: "10\.6\.0\.0\/24" is not a list/],
    ["cluster.workers.autoscaler.min", -1, /prow-ops:cluster\.workers\.autoscaler\.min: -1 is below the minimum \(expected at least 0\)/],
    ["cluster.controlPlane", 3, /prow-ops:cluster\.controlPlane: 3 is not a mapping of keys/],
    ["layers", ["prow", "monitoring"], /prow-ops:layers\[1\]: "monitoring" is not one of "openstack", "github"/],
  ])("GIVEN %s = %j THEN the key, the value given and what is expected are named, not 'required'", (path, value, expected) => {
    const message = errorOf(withValue(path, value));
    expect(message).toMatch(expected);
    expect(message).not.toMatch(/is required/);
  });

  test("GIVEN the bastion path THEN its clusters and login are checked, and a valid one is accepted", () => {
    const bastion = (b: unknown) => ({ ...rawProdConfig(), kubernetes: { bastion: b } });
    expect(errorOf(bastion({ clusters: ["workload"], user: "Ubuntu Admin" }))).toMatch(/prow-ops:kubernetes\.bastion\.user: "Ubuntu Admin" is not a login name/);
    expect(errorOf(bastion({ clusters: ["bootstrap"], user: "ubuntu" }))).toMatch(/prow-ops:kubernetes\.bastion\.clusters\[0\]/);
    expect(errorOf(bastion({ clusters: [], user: "ubuntu" }))).toMatch(/prow-ops:kubernetes\.bastion\.clusters: \[\] has too few entries/);
    expect(errorOf({ ...rawProdConfig(), kubernetes: { publicAddressUrl: "ftp://x" } })).toMatch(/publicAddressUrl: "ftp:\/\/x" is not an http\(s\) URL/);
    expect(parseStackConfig(bastion({ clusters: ["management", "workload"], user: "ubuntu", identityFile: "~/.ssh/metal3ci" }), "t").kubernetes?.bastion?.clusters).toEqual(["management", "workload"]);
  });

  test("GIVEN a missing key THEN it is reported as required", () => {
    expect(errorOf(withValue("cluster.podCIDR", undefined))).toMatch(/prow-ops:cluster\.podCIDR: is required \(expected a string\)/);
  });
});

describe("who owns a MachineDeployment's replicas", () => {
  test("GIVEN the autoscaler enabled AND replicas set THEN refused: the stack must never declare replicas the autoscaler owns", () => {
    expect(errorOf(withValue("cluster.workers.replicas", 3))).toMatch(/prow-ops:cluster\.workers\.replicas: 3: replicas cannot be set while the autoscaler owns them .*prow-ops autoscaler disable prow-md-0/);
  });

  test("GIVEN the autoscaler disabled and no replicas THEN replicas are required", () => {
    const raw = withValue("cluster.workers.autoscaler.enabled", false);
    expect(errorOf(raw)).toMatch(/prow-ops:cluster\.workers\.replicas: is required when the autoscaler is disabled or absent/);
  });

  test("GIVEN the autoscaler disabled with replicas THEN valid; GIVEN both MachineDeployments with one name THEN refused", () => {
    const raw = withValue("cluster.workers.autoscaler.enabled", false);
    ((raw.cluster as Record<string, Record<string, unknown>>).workers as Record<string, unknown>).replicas = 3;
    expect(parseStackConfig(raw, "Pulumi.prow.yaml").cluster.workers.replicas).toBe(3);
    expect(errorOf(withValue("cluster.infraNodes.name", "prow-md-0"))).toMatch(/the two MachineDeployments need different names/);
  });
});
