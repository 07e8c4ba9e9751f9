/** status, scale, autoscaler and diff: what the maintainers see, and bad input refused before anything is touched. */
import { readFileSync } from "node:fs";
import { formatStatus, summarize } from "../../../cli/lib/status";
import { runCli } from "../../helpers/cli";
import { tempProject } from "../../helpers/project";

const obj = (name: string, rest: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}) => ({ metadata: { name, ...metadata }, ...rest });

describe("status", () => {
  test("GIVEN the objects of both clusters THEN the report shows rollout, readiness, autoscaler bounds, bastion and ProwJobs", () => {
    const report = summarize({
      cluster: obj("prow", { status: { phase: "Provisioned", controlPlaneReady: true, infrastructureReady: true } }),
      controlPlane: obj("prow-control-plane", { spec: { replicas: 1, version: "v1.30.6" }, status: { readyReplicas: 1, updatedReplicas: 1 } }),
      machineDeployments: [
        obj("prow-md-0", { spec: { replicas: 3 }, status: { readyReplicas: 2, updatedReplicas: 3, phase: "ScalingUp" } }, { annotations: { "cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size": "2", "cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size": "5" } }),
        obj("infra-0", { spec: { replicas: 1 }, status: { readyReplicas: 1, updatedReplicas: 1, phase: "Running" } }),
      ],
      machines: [obj("prow-md-0-abc", { spec: { version: "v1.30.6" }, status: { phase: "Running", nodeRef: { name: "node-a" } } })],
      openstackCluster: obj("prow", { status: { bastion: { state: "ACTIVE", floatingIP: "198.51.100.20" } } }),
      nodes: [obj("node-a", { status: { nodeInfo: { kubeletVersion: "v1.30.6" }, conditions: [{ type: "Ready", status: "True" }] } }), obj("node-b", { status: { conditions: [{ type: "Ready", status: "False" }] } })],
      deployments: [obj("hook", { spec: { replicas: 2 }, status: { readyReplicas: 2 } }), obj("deck", { spec: { replicas: 2 }, status: { readyReplicas: 1 } })],
      prowJobs: [obj("a", { status: { state: "pending" } }), obj("b", { status: { state: "pending", pod_name: "p" } }), obj("c", { status: { state: "success" } })],
      unreachable: {},
    });
    expect(report.machineDeployments[0]).toEqual({ name: "prow-md-0", replicas: 3, ready: 2, updated: 3, phase: "ScalingUp", autoscaler: { min: 2, max: 5 } });
    expect(report.nodes).toEqual([{ name: "node-a", version: "v1.30.6", ready: true }, { name: "node-b", version: undefined, ready: false }]);
    expect(report.prow.jobs).toEqual({ pending: 2, running: 1 });
    const text = formatStatus(report);
    expect(text).toContain("cluster prow: Provisioned  (control plane ready: yes, infrastructure ready: yes)");
    expect(text).toContain("machinedeployment prow-md-0: 2 ready, 3 up to date (autoscaler 2..5, now 3) ScalingUp");
    expect(text).toContain("bastion: ACTIVE at 198.51.100.20");
    expect(text).toContain("prow: 1/2 deployments ready (not ready: deck)");
  });
});

describe("scale, autoscaler and diff refuse bad input before touching anything", () => {
  test.each([
    [["scale", "prow-md-0", "--replicas", "3"], 3, /the cluster-autoscaler owns the replicas of prow-md-0 \(min 2, max 5\)/],
    [["scale", "infra-0", "--replicas", "1"], 3, /infra-0 already has 1 replica\(s\)/],
    [["scale", "nosuch", "--replicas", "1"], 2, /"nosuch" is not a MachineDeployment of this stack \(expected prow-md-0 or infra-0\)/],
    [["scale", "infra-0", "--replicas", "two"], 2, /--replicas must be a whole number \(got "two"\)/],
    [["scale", "infra-0"], 2, /required option '--replicas <n>' not specified/],
    [["autoscaler", "enable", "prow-md-0"], 3, /the autoscaler of prow-md-0 is already enabled \(min 2, max 5\)/],
    [["autoscaler", "disable", "infra-0"], 3, /the autoscaler of infra-0 is already disabled \(replicas: 1\)/],
    [["autoscaler", "enable", "infra-0"], 2, /infra-0 has no autoscaler bounds yet: give --min and --max/],
    [["autoscaler", "enable", "infra-0", "--min", "-1"], 2, /error: option '--min <n>' argument '-1' is invalid|--min must be a whole number/],
    [["diff", "database"], 2, /diff "database": not a layer \(expected one of openstack, github/],
  ])("GIVEN %j THEN exit %i, the reason named, the stack file unchanged", (args, code, message) => {
    const p = tempProject();
    const before = readFileSync(p.stackFile, "utf8");
    const res = runCli(["--stack", "t", ...(args as string[])], p.env);
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code, stderr: expect.stringMatching(message) });
    expect(readFileSync(p.stackFile, "utf8")).toBe(before);
  });
});
