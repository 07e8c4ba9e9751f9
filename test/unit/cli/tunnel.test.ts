/**
 * The access path's kubeconfig: the server becomes the tunnel's local port and the
 * certificate stays verified against the original host; a kubeconfig that skips verification
 * is refused.
 */
import { load } from "js-yaml";
import { kubeconfigThroughTunnel } from "../../../cli/lib/access/tunnel";

const kubeconfig = (extra = "") => `apiVersion: v1
kind: Config
clusters:
- name: prow
  cluster:
    server: https://198.51.100.5:6443
    certificate-authority-data: Q0E=
${extra}users:
- name: prow-admin
  user:
    token: t
contexts:
- name: prow
  context: { cluster: prow, user: prow-admin }
current-context: prow
`;

describe("the kubeconfig through the bastion tunnel", () => {
  test("GIVEN the workload kubeconfig THEN its server is the local port and tls-server-name the API's address; the CA and credentials are kept", () => {
    const doc = load(kubeconfigThroughTunnel(kubeconfig(), 40123)) as { clusters: Array<{ cluster: Record<string, string> }>; users: unknown[] };
    expect(doc.clusters[0].cluster).toEqual({ server: "https://127.0.0.1:40123", "tls-server-name": "198.51.100.5", "certificate-authority-data": "Q0E=" });
    expect(doc.users).toEqual([{ name: "prow-admin", user: { token: "t" } }]);
  });

  test("GIVEN a kubeconfig that skips TLS verification THEN it is refused", () => {
    expect(() => kubeconfigThroughTunnel(kubeconfig("    insecure-skip-tls-verify: true\n"), 40123)).toThrow("skips TLS verification");
  });
});
