#!/usr/bin/env node
/**
 * clusterctl for the integration tests: every command but `init` is the real clusterctl
 * ($REAL_CLUSTERCTL). `init` cannot fetch provider components offline, so it leaves what
 * the real one leaves in the cluster for `move` to work: the CRDs ($FAKE_INIT_CRDS: cert-manager's,
 * CAPI's and CAPO's) with clusterctl's labels, and the provider inventory at
 * the versions asked for. Calls are logged to $FAKE_CLUSTERCTL_LOG.
 */
const { spawnSync } = require("node:child_process");
const { appendFileSync } = require("node:fs");

const args = process.argv.slice(2);
if (process.env.FAKE_CLUSTERCTL_LOG) appendFileSync(process.env.FAKE_CLUSTERCTL_LOG, `${args.join(" ")}\n`);
if (args[0] !== "init") {
  const res = spawnSync(process.env.REAL_CLUSTERCTL, args, { stdio: "inherit" });
  process.exit(res.status ?? 1);
}
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const kubectl = (argv, input) => {
  const res = spawnSync(process.env.KUBECTL, ["--kubeconfig", flag("--kubeconfig"), ...argv], { input, encoding: "utf8" });
  if (res.status !== 0) {
    process.stderr.write(res.stderr);
    process.exit(1);
  }
  return res.stdout;
};
const PROVIDERS = [
  ["--core", "capi-system", "cluster-api", "CoreProvider", /^(clusters|machines|machinesets|machinedeployments|machinehealthchecks|machinepools|clusterclasses|clusterresourcesets|clusterresourcesetbindings|extensionconfigs|ipaddresses|ipaddressclaims)\./],
  ["--bootstrap", "capi-kubeadm-bootstrap-system", "bootstrap-kubeadm", "BootstrapProvider", /^kubeadmconfig/],
  ["--control-plane", "capi-kubeadm-control-plane-system", "control-plane-kubeadm", "ControlPlaneProvider", /^kubeadmcontrolplane/],
  ["--infrastructure", "capo-system", "infrastructure-openstack", "InfrastructureProvider", /^openstack/],
];
process.stdout.write("Fetching providers\n");
for (const file of process.env.FAKE_INIT_CRDS.split(":")) kubectl(["apply", "--server-side", "--force-conflicts", "-f", file]);
kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
for (const crd of kubectl(["get", "crd", "-o", "name"]).trim().split("\n")) {
  const name = crd.replace("customresourcedefinition.apiextensions.k8s.io/", "");
  const provider = PROVIDERS.find((p) => p[4].test(name));
  // The providers' components also label their CRDs with the contract they implement.
  if (provider) kubectl(["label", "--overwrite", crd, "clusterctl.cluster.x-k8s.io=", `cluster.x-k8s.io/provider=${provider[2]}`, ...(provider[3] === "CoreProvider" ? [] : ["cluster.x-k8s.io/v1beta1=v1beta1"])]);
}
for (const [option, namespace, name, type] of PROVIDERS) {
  const [providerName, version] = flag(option).split(":");
  kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } }));
  kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({ apiVersion: "clusterctl.cluster.x-k8s.io/v1alpha3", kind: "Provider", metadata: { name, namespace, labels: { "clusterctl.cluster.x-k8s.io": "", "cluster.x-k8s.io/provider": name } }, providerName, type, version }),
  );
  process.stdout.write(`Installing Provider="${name}" Version="${version}" TargetNamespace="${namespace}"\n`);
}
