/**
 * The kube client against a local HTTP server that answers like an API server whose CRD
 * storage is re-initialising (429 with retryAfterSeconds, then the object), or that knows no
 * such object (404 with a Status body).
 */
import { mkdtempSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "../../stacks/core/kube-client";

let server: Server;
let refusals = 0;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    // An answer larger than one read (a proxy's error page, a verbose Status): left unread, it holds its socket.
    if (req.url?.endsWith("/missing")) {
      res.writeHead(404, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", status: "Failure", reason: "NotFound", code: 404, message: "x".repeat(1 << 20) }));
      return;
    }
    if (refusals > 0) {
      refusals--;
      res.writeHead(429, { "Content-Type": "application/json", "Retry-After": "1" });
      res.end(JSON.stringify({ kind: "Status", status: "Failure", message: "storage is (re)initializing", reason: "TooManyRequests", details: { retryAfterSeconds: 1 }, code: 429 }));
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ items: [{ metadata: { name: "prow-md-0-a" } }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function kubeconfig(): string {
  const { port } = server.address() as AddressInfo;
  const file = join(mkdtempSync(join(tmpdir(), "prow-ops-kc-")), "kubeconfig");
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: `http://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
      "current-context": "c",
    }),
  );
  return file;
}

test("GIVEN the API server answers 429 (storage re-initialising) twice THEN the read waits as asked and returns the list", async () => {
  refusals = 2;
  seen.length = 0;
  const kube = await connect({ kubeconfig: kubeconfig() });
  const started = Date.now();
  const items = await kube.list("/apis/cluster.x-k8s.io/v1beta1/namespaces/default/machines");
  expect(items.map((i) => i.metadata.name)).toEqual(["prow-md-0-a"]);
  expect(seen).toHaveLength(3);
  expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
});

test("GIVEN the API server keeps answering 429 THEN the read gives up after ten tries with the server's message", async () => {
  refusals = 100;
  seen.length = 0;
  const kube = await connect({ kubeconfig: kubeconfig() });
  await expect(kube.list("/api/v1/nodes")).rejects.toThrow(/HTTP 429 .*storage is \(re\)initializing/);
  expect(seen).toHaveLength(10);
}, 30_000);

test("GIVEN a poll of an object that does not exist THEN every answer is read to the end: no socket is left open per call", async () => {
  const kube = await connect({ kubeconfig: kubeconfig() });
  const sockets = () => readdirSync("/proc/self/fd").filter((fd) => readlinkSafe(`/proc/self/fd/${fd}`).startsWith("socket:")).length;
  const before = sockets();
  for (let i = 0; i < 40; i++) expect(await kube.get("/api/v1/namespaces/default/configmaps/missing")).toBeUndefined();
  await new Promise((r) => setTimeout(r, 300));
  expect(sockets() - before).toBeLessThanOrEqual(2);
});

function readlinkSafe(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return "";
  }
}
