#!/usr/bin/env node
/**
 * A kind double for the integration tests: `kind create cluster` starts a real local control
 * plane (etcd + kube-apiserver of the test bed) in a detached process and writes its
 * kubeconfig; `get clusters`, `get kubeconfig` and `delete cluster` behave as kind's do. Its
 * state lives in $FAKE_KIND_DIR; every call is logged there (kind.log).
 */
const { spawn } = require("node:child_process");
const { appendFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const dir = process.env.FAKE_KIND_DIR;
if (!dir) {
  process.stderr.write("FAKE_KIND_DIR is not set\n");
  process.exit(2);
}
const args = process.argv.slice(2);
const flag = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const stateFile = (name) => join(dir, `${name}.json`);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
};
const clusters = () =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ name: f.slice(0, -5), ...JSON.parse(readFileSync(join(dir, f), "utf8")) }))
    .filter((c) => c.kubeconfig && alive(c.pid));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  if (args[0] !== "__serve") appendFileSync(join(dir, "kind.log"), `${args.join(" ")}\n`);
  const [verb, noun] = args;
  const name = flag("--name", "kind");
  if (verb === "version") return void process.stdout.write("kind v0.24.0 go1.22.6 linux/amd64\n");
  if (verb === "get" && noun === "clusters") return void process.stdout.write(clusters().map((c) => `${c.name}\n`).join(""));
  if (verb === "get" && noun === "kubeconfig") {
    const c = clusters().find((x) => x.name === name);
    if (!c) throw new Error(`could not locate any control plane nodes for cluster named '${name}'`);
    return void process.stdout.write(c.kubeconfig);
  }
  if (verb === "create" && noun === "cluster") {
    if (clusters().some((c) => c.name === name)) throw new Error(`node(s) already exist for a cluster with the name "${name}"`);
    const child = spawn(process.execPath, [__filename, "__serve", name], { detached: true, stdio: "ignore", env: process.env });
    child.unref();
    process.stderr.write(`Creating cluster "${name}" ...\n`);
    const deadline = Date.now() + 120_000;
    while (!clusters().some((c) => c.name === name)) {
      if (Date.now() > deadline) throw new Error("the control plane did not start");
      await sleep(200);
    }
    const kubeconfig = flag("--kubeconfig");
    if (kubeconfig) writeFileSync(kubeconfig, clusters().find((c) => c.name === name).kubeconfig, { mode: 0o600 });
    return;
  }
  if (verb === "delete" && noun === "cluster") {
    process.stderr.write(`Deleting cluster "${name}" ...\n`);
    const c = clusters().find((x) => x.name === name);
    if (!c) return;
    process.kill(c.pid, "SIGTERM");
    while (alive(c.pid)) await sleep(200);
    rmSync(stateFile(name), { force: true });
    return;
  }
  if (verb === "__serve") {
    const { startControlPlane } = require(join(__dirname, "../../../dist/cli/lib/sandbox/control-plane.js"));
    writeFileSync(stateFile(noun), JSON.stringify({ pid: process.pid }));
    const cp = await startControlPlane(`kind-${noun}`);
    writeFileSync(stateFile(noun), JSON.stringify({ pid: process.pid, kubeconfig: cp.kubeconfig, dir: cp.dir }));
    const stop = () => cp.stop().then(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    setInterval(() => undefined, 1 << 30);
    return;
  }
  throw new Error(`unknown command "${args.join(" ")}" for "kind"`);
}

main().catch((err) => {
  process.stderr.write(`ERROR: ${err.message}\n`);
  process.exit(1);
});
