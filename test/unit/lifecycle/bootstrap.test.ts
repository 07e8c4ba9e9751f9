import { join } from "node:path";
import { readStackFile } from "../../../config/load";
import { initProviders, kindClusterName, kubeconfigLine } from "../../../cli/lib/lifecycle/bootstrap-tools";
import { validateBootstrapOptions } from "../../../cli/runbooks/bootstrap";
import { PROJECT_ROOT } from "../../helpers/config";

const prod = () => readStackFile(join(PROJECT_ROOT, "Pulumi.prow.yaml"));

describe("bootstrap", () => {
  test("GIVEN the production stack THEN clusterctl init is asked for the reference's pinned providers", () => {
    expect(initProviders(prod()).flatMap((p) => p.slice(0, 2))).toEqual([
      "--core",
      "cluster-api:v1.8.5",
      "--bootstrap",
      "kubeadm:v1.8.5",
      "--control-plane",
      "kubeadm:v1.8.5",
      "--infrastructure",
      "openstack:v0.11.1",
    ]);
  });

  test("GIVEN a kubeconfig in YAML THEN it is kept as one line of JSON with the same content; anything else is refused", () => {
    const yaml = "apiVersion: v1\nkind: Config\nclusters:\n- name: kind\n  cluster:\n    server: https://127.0.0.1:6443\nusers:\n- name: admin\n  user:\n    token: abc\ncontexts: []\ncurrent-context: kind\n";
    const line = kubeconfigLine(yaml);
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toMatchObject({ kind: "Config", clusters: [{ name: "kind", cluster: { server: "https://127.0.0.1:6443" } }], users: [{ user: { token: "abc" } }] });
    expect(() => kubeconfigLine("just: text\n")).toThrow(/names no cluster/);
  });

  test("GIVEN options THEN bad ones are refused with the way to fix them", () => {
    expect(() => validateBootstrapOptions({ operatorIp: "203.0.113" })).toThrow(/is not one IPv4 address/);
    expect(() => validateBootstrapOptions({ timeout: "soon" })).toThrow(/--timeout/);
    expect(() => validateBootstrapOptions({ bootstrapKubeconfig: " " })).toThrow(/needs the path/);
    expect(validateBootstrapOptions({ operatorIp: "203.0.113.10/32", timeout: "45m" })).toEqual({ operatorIp: "203.0.113.10/32", timeout: "45m" });
    expect(kindClusterName("prow")).toBe("prow-ops-bootstrap-prow");
  });
});
