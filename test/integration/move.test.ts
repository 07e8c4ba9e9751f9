/**
 * The self-hosting handover: the stack creates the Cluster API objects in the bootstrap
 * cluster, the real `clusterctl move` takes them to the workload cluster, and the stack's
 * state follows by re-pointing the management provider — same clusterIdentifier, new
 * kubeconfig — so nothing is replaced or deleted, even once the bootstrap cluster is gone.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OpType } from "@pulumi/pulumi/automation";
import type { ControlPlane } from "../../cli/lib/sandbox/control-plane";
import { capiCrdFiles, installCrds, startTestBed, type TestBed } from "./helpers/testbed";
import { tool } from "./helpers/tools";

/** What `clusterctl init` records: the provider inventory, and the labels it puts on provider CRDs. */
const PROVIDERS: Array<[namespace: string, name: string, providerName: string, type: string, version: string]> = [
  ["capi-system", "cluster-api", "cluster-api", "CoreProvider", "v1.8.5"],
  ["capi-kubeadm-bootstrap-system", "bootstrap-kubeadm", "kubeadm", "BootstrapProvider", "v1.8.5"],
  ["capi-kubeadm-control-plane-system", "control-plane-kubeadm", "kubeadm", "ControlPlaneProvider", "v1.8.5"],
  ["capo-system", "infrastructure-openstack", "openstack", "InfrastructureProvider", "v0.11.1"],
];

function initLikeClusterctl(cp: ControlPlane): void {
  const crdLabels: Array<[RegExp, string]> = [
    [/^(clusters|machines|machinesets|machinedeployments|machinehealthchecks|machinepools|clusterclasses|clusterresourcesets|clusterresourcesetbindings|extensionconfigs|ipaddresses|ipaddressclaims)\./, "cluster-api"],
    [/^kubeadmconfig/, "bootstrap-kubeadm"],
    [/^kubeadmcontrolplane/, "control-plane-kubeadm"],
    [/^openstack/, "infrastructure-openstack"],
  ];
  const crds = cp.kubectl(["get", "crd", "-o", "name"]).trim().split("\n");
  for (const crd of crds) {
    const name = crd.replace("customresourcedefinition.apiextensions.k8s.io/", "");
    const provider = crdLabels.find(([re]) => re.test(name))?.[1];
    if (provider) cp.kubectl(["label", "--overwrite", crd, "clusterctl.cluster.x-k8s.io=", `cluster.x-k8s.io/provider=${provider}`]);
  }
  for (const [namespace, name, providerName, type, version] of PROVIDERS) {
    cp.kubectl(["create", "namespace", namespace]);
    cp.kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "clusterctl.cluster.x-k8s.io/v1alpha3",
        kind: "Provider",
        metadata: { name, namespace, labels: { "clusterctl.cluster.x-k8s.io": "", "cluster.x-k8s.io/provider": name } },
        providerName,
        type,
        version,
      }),
    );
  }
}

/**
 * What the CAPI controllers do that move relies on: the Cluster owns its infrastructure cluster,
 * control plane and MachineDeployments, and the templates they use (KCP and MachineDeployment
 * controllers add those owner references). Templates no one uses get no owner.
 */
const IN_USE = [
  "openstackcluster.infrastructure.cluster.x-k8s.io/prow",
  "kubeadmcontrolplane.controlplane.cluster.x-k8s.io/prow-control-plane",
  "machinedeployment.cluster.x-k8s.io/prow-md-0",
  "machinedeployment.cluster.x-k8s.io/infra-0",
  "openstackmachinetemplate.infrastructure.cluster.x-k8s.io/prow-control-plane-v1-30-6-est",
  "openstackmachinetemplate.infrastructure.cluster.x-k8s.io/prow-worker-v1-30-6-est",
  "kubeadmconfigtemplate.bootstrap.cluster.x-k8s.io/prow-md-0",
  "kubeadmconfigtemplate.bootstrap.cluster.x-k8s.io/infra-0",
];

function ownLikeCapi(cp: ControlPlane): void {
  const uid = cp.kubectl(["get", "cluster", "prow", "-n", "default", "-o", "jsonpath={.metadata.uid}"]);
  const owner = { apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Cluster", name: "prow", uid };
  for (const object of IN_USE) cp.kubectl(["patch", object, "-n", "default", "--type=merge", "-p", JSON.stringify({ metadata: { ownerReferences: [owner] } })]);
}

/** No controllers run here: mark the cluster provisioned the way CAPI would, so move accepts it. */
function markProvisioned(cp: ControlPlane): void {
  ownLikeCapi(cp);
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const status = {
    status: {
      infrastructureReady: true,
      controlPlaneReady: true,
      conditions: [
        { type: "Ready", status: "True", lastTransitionTime: now },
        { type: "ControlPlaneInitialized", status: "True", lastTransitionTime: now },
        { type: "InfrastructureReady", status: "True", lastTransitionTime: now },
      ],
    },
  };
  cp.kubectl(["patch", "cluster", "prow", "-n", "default", "--subresource=status", "--type=merge", "-p", JSON.stringify(status)]);
}

const changes = async (bed: TestBed): Promise<Array<{ op: OpType; urn: string }>> => {
  const events: Array<{ op: OpType; urn: string }> = [];
  await bed.stack.preview({
    onEvent: (e) => {
      const m = e.resourcePreEvent?.metadata;
      if (m && m.op !== "same") events.push({ op: m.op, urn: m.urn });
    },
  });
  return events;
};

describe("clusterctl move handover", () => {
  let bed: TestBed;
  beforeAll(async () => {
    bed = await startTestBed(["cluster"], "move");
    installCrds(bed.workload, capiCrdFiles());
    initLikeClusterctl(bed.management);
    initLikeClusterctl(bed.workload);
  });
  afterAll(async () => {
    await bed?.stop();
  });

  test("GIVEN the cluster layer up in the bootstrap cluster WHEN clusterctl moves it THEN the objects live in the workload cluster", async () => {
    const up = await bed.stack.up({ onOutput: () => undefined });
    expect(up.summary.result).toBe("succeeded");
    markProvisioned(bed.management);
    const move = spawnSync(tool("clusterctl"), ["move", "--kubeconfig", bed.management.kubeconfigPath, "--to-kubeconfig", bed.workload.kubeconfigPath, "--namespace", "default"], {
      encoding: "utf8",
      env: { ...process.env, CLUSTERCTL_DISABLE_VERSIONCHECK: "true", HOME: mkdtempSync(join(tmpdir(), "clusterctl-home-")) },
    });
    expect({ status: move.status, stderr: move.stderr }).toEqual({ status: 0, stderr: expect.any(String) });
    const moved = bed.workload.kubectl(["get", "cluster,openstackcluster,kubeadmcontrolplane,machinedeployment,openstackmachinetemplate,kubeadmconfigtemplate", "-n", "default", "-o", "name"]);
    expect(moved.trim().split("\n").sort()).toEqual(
      ["cluster.cluster.x-k8s.io/prow", ...IN_USE].sort(),
    );
    expect(bed.workload.kubectl(["get", "secret", "prow-cloud-config", "-n", "default", "-o", "name"]).trim()).toBe("secret/prow-cloud-config");
    expect(bed.management.kubectl(["get", "cluster", "-n", "default", "-o", "name"]).trim()).toBe("");
    // Templates no controller ever owned (the kept rollback ones) stay behind: move follows
    // ownership. The stack re-creates them in the new management cluster (see the next tests).
    expect(bed.management.kubectl(["get", "openstackmachinetemplate", "-n", "default", "-o", "name"]).trim().split("\n")).toHaveLength(4);
  });

  test("WHEN the management provider is re-pointed at the workload cluster THEN the preview updates only the provider: no replace, no delete", async () => {
    const kubernetes = structuredClone(bed.config.kubernetes) as { management: { kubeconfig: string } };
    kubernetes.management.kubeconfig = bed.workload.kubeconfigPath;
    await bed.setConfig({ kubernetes });
    const events = await changes(bed);
    expect(events.filter((e) => e.op !== "update")).toEqual([]);
    expect(events.map((e) => e.urn)).toEqual([expect.stringMatching(/pulumi:providers:kubernetes::management-cluster$/)]);
    const up = await bed.stack.up({ onOutput: () => undefined });
    expect(up.summary.resourceChanges).toEqual(expect.not.objectContaining({ delete: expect.anything(), replace: expect.anything(), create: expect.anything() }));
    const refresh = await bed.stack.refresh({ onOutput: () => undefined });
    expect(refresh.summary.result).toBe("succeeded");
  });

  test("GIVEN the bootstrap cluster removed WHEN previewed and applied THEN the stack deletes nothing", async () => {
    await bed.management.stop();
    expect((await changes(bed)).filter((e) => ["delete", "replace", "create-replacement", "delete-replaced"].includes(e.op))).toEqual([]);
    const up = await bed.stack.up({ onOutput: () => undefined });
    expect(up.summary.resourceChanges).toEqual(expect.not.objectContaining({ delete: expect.anything(), replace: expect.anything() }));
    expect(bed.workload.kubectl(["get", "cluster", "prow", "-n", "default", "-o", "name"]).trim()).toBe("cluster.cluster.x-k8s.io/prow");
    // The refresh found the rollback templates missing from the new management cluster; this up put them back.
    expect(bed.workload.kubectl(["get", "openstackmachinetemplate", "-n", "default", "-o", "name"]).trim().split("\n")).toHaveLength(6);
  });
});
