/**
 * The access pieces that need no network: the temporary sources' record and how the program
 * receives them, the address checks, the stable per-stack access files and the reaping of a
 * session whose owner is gone, and the bastion swap's plan.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { apiTarget, kubeconfigFile, livePath, runtimeDir } from "../../../cli/lib/access/cluster-path";
import { declareTemporary, dropTemporary, leftByCrash, listTemporary, recordTemporary, singleAddress } from "../../../cli/lib/access/temporary-cidrs";
import { breakStaleEngineLock } from "../../../cli/lib/engine/workspace";
import { exitCodeOf } from "../../../cli/lib/exit-codes";
import { FileStore } from "../../../cli/lib/team/store";
import { plan } from "../../../cli/lib/runbook/engine";
import type { RunContext, Runbook } from "../../../cli/lib/runbook/types";
import { bastionSwap } from "../../../cli/runbooks/bastion-swap";
import { ACCESS_ENV, withTemporaryCidrs } from "../../../stacks/core/access-env";
import type { Context } from "../../../cli/lib/context";

const tmp = (p: string) => mkdtempSync(join(tmpdir(), `prow-ops-access-${p}-`));

describe("temporary load-balancer sources", () => {
  test("GIVEN an address with or without /32 THEN it becomes one /32; anything else is refused with exit 2", () => {
    expect(singleAddress("203.0.113.10")).toBe("203.0.113.10/32");
    expect(singleAddress(" 203.0.113.10/32 ")).toBe("203.0.113.10/32");
    for (const bad of ["203.0.113.0/24", "203.0.113", "203.0.113.300", "example.org", ""]) {
      const err = (() => {
        try {
          singleAddress(bad);
        } catch (e) {
          return e as Error & { code: string };
        }
      })();
      expect(err?.message).toMatch(/is not one IPv4 address \(expected A\.B\.C\.D or A\.B\.C\.D\/32\)/);
      expect(exitCodeOf(err as never)).toBe(2);
    }
  });

  test("GIVEN sources recorded by runs THEN the program receives them once each after the configured ones; dropped ones are gone", async () => {
    const store = new FileStore(tmp("store"));
    await recordTemporary(store, "s", "203.0.113.10/32");
    await recordTemporary(store, "s", "198.51.100.7/32", "20261130T100000Z-abc123");
    const entries = await listTemporary(store, "s");
    expect(entries.map((e) => [e.cidr, e.host, e.pid, e.runId])).toEqual([
      ["203.0.113.10/32", hostname(), process.pid, undefined],
      ["198.51.100.7/32", hostname(), process.pid, "20261130T100000Z-abc123"],
    ]);
    const env: NodeJS.ProcessEnv = {};
    const saved = process.env[ACCESS_ENV.temporaryCidrs];
    declareTemporary(entries);
    env[ACCESS_ENV.temporaryCidrs] = process.env[ACCESS_ENV.temporaryCidrs];
    process.env[ACCESS_ENV.temporaryCidrs] = saved;
    expect(withTemporaryCidrs(["10.6.0.0/24", "203.0.113.10/32"], env)).toEqual(["10.6.0.0/24", "203.0.113.10/32", "198.51.100.7/32"]);
    await dropTemporary(store, "s", ["203.0.113.10/32", "198.51.100.7/32"]);
    expect(await listTemporary(store, "s")).toEqual([]);
    expect(withTemporaryCidrs(["10.6.0.0/24"], {})).toEqual(["10.6.0.0/24"]);
  });

  test("GIVEN entries of a gone process, a live one, another machine and a runbook run THEN only the gone process's is left by a crash", () => {
    const base = { user: "op", since: "2026-11-30T10:00:00Z" };
    const gone = { ...base, cidr: "203.0.113.1/32", host: hostname(), pid: 2 ** 22 + 999 };
    const live = { ...base, cidr: "203.0.113.2/32", host: hostname(), pid: process.pid };
    const elsewhere = { ...base, cidr: "203.0.113.3/32", host: "another-machine", pid: 2 ** 22 + 999 };
    const runbook = { ...gone, cidr: "203.0.113.4/32", runId: "20261130T100000Z-abc123" };
    expect(leftByCrash([gone, live, elsewhere, runbook])).toEqual([gone]);
  });
});

describe("the access path's files", () => {
  const env = process.env.PROW_OPS_RUNTIME_DIR;
  beforeEach(() => {
    process.env.PROW_OPS_RUNTIME_DIR = tmp("run");
  });
  afterAll(() => {
    process.env.PROW_OPS_RUNTIME_DIR = env;
  });

  test("GIVEN a stack THEN its kubeconfig files sit at the same private path every time (the providers' inputs do not change)", () => {
    expect(kubeconfigFile("prow", "workload")).toBe(kubeconfigFile("prow", "workload"));
    expect(kubeconfigFile("prow", "workload")).toMatch(/prow-ops-\d+\/prow\/workload\.kubeconfig$/);
    expect(kubeconfigFile("sandbox", "workload")).not.toBe(kubeconfigFile("prow", "workload"));
  });

  test("GIVEN a kubeconfig THEN the bastion forwards to its server's host and port", () => {
    expect(apiTarget("clusters:\n- cluster:\n    server: https://198.51.100.5:6443\n")).toEqual({ host: "198.51.100.5", port: 6443 });
    expect(apiTarget('clusters:\n- cluster:\n    server: "https://api.example.org"\n')).toEqual({ host: "api.example.org", port: 443 });
    // As bootstrap keeps it: a stack secret holds the kubeconfig as one line of JSON.
    expect(apiTarget(JSON.stringify({ apiVersion: "v1", clusters: [{ name: "prow", cluster: { server: "https://198.51.100.7:6443" } }] }))).toEqual({ host: "198.51.100.7", port: 6443 });
    expect(() => apiTarget(JSON.stringify({ clusters: [{ cluster: { server: "http://198.51.100.7" } }] }))).toThrow(/names no https server/);
  });

  test("GIVEN the session of a killed prow-ops THEN the next start kills its ssh and removes its files; a live owner's session is reused", async () => {
    const dir = runtimeDir("s");
    // A stand-in for the tunnel: a process whose argv looks like the ssh -L the CLI starts.
    const port = 47_123;
    const fake = spawn("bash", ["-c", `exec -a ssh bash -c "sleep 5; true" -N 127.0.0.1:${port}:198.51.100.5:6443`], { stdio: "ignore" });
    const exited = new Promise((r) => fake.once("exit", (_code, signal) => r(signal)));
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(join(dir, "workload.kubeconfig"), "kubeconfig");
    writeFileSync(join(dir, "session.json"), JSON.stringify({ ownerPid: 2 ** 22 + 4242, sshPid: fake.pid, localPort: port, route: "bastion", bastionIP: "198.51.100.30" }));
    expect(livePath("s", ["workload"])).toBeUndefined();
    expect(await exited).toBe("SIGKILL");
    expect(existsSync(join(dir, "workload.kubeconfig"))).toBe(false);
    expect(existsSync(join(dir, "session.json"))).toBe(false);

    writeFileSync(join(dir, "workload.kubeconfig"), "kubeconfig");
    writeFileSync(join(dir, "session.json"), JSON.stringify({ ownerPid: process.pid, route: "bastion", bastionIP: "198.51.100.30" }));
    const live = livePath("s", ["workload"]);
    expect(live).toMatchObject({ owned: false, files: { workload: join(dir, "workload.kubeconfig") }, route: { via: "bastion", bastionIP: "198.51.100.30" } });
    await live?.close();
    expect(readFileSync(join(dir, "workload.kubeconfig"), "utf8")).toBe("kubeconfig");
  });
});

describe("the engine's lock of a killed pulumi", () => {
  test("GIVEN a file backend lock of a gone pulumi of this machine THEN it is removed; another machine's stays", () => {
    const state = tmp("state");
    const dir = join(state, ".pulumi", "locks", "organization", "prow-ops", "s");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "a.json"), JSON.stringify({ pid: 2 ** 22 + 77, username: "op", hostname: hostname(), timestamp: "2026-11-30T10:00:00Z" }));
    writeFileSync(join(dir, "b.json"), JSON.stringify({ pid: 2 ** 22 + 77, username: "op", hostname: "another-machine", timestamp: "2026-11-30T10:00:00Z" }));
    writeFileSync(join(dir, "c.json"), JSON.stringify({ pid: process.pid, username: "op", hostname: hostname(), timestamp: "2026-11-30T10:00:00Z" }));
    breakStaleEngineLock(`file://${state}`, "s");
    expect(existsSync(join(dir, "a.json"))).toBe(false);
    expect(existsSync(join(dir, "b.json"))).toBe(true);
    expect(existsSync(join(dir, "c.json"))).toBe(true);
  });
});

describe("bastion swap", () => {
  const ctx = { options: { stack: "prow" }, stackFile: "/nonexistent", projectDir: "/nonexistent" } as unknown as Context;

  test("GIVEN --plan THEN exactly the reference's sequence, each step from its README section, without any cluster", () => {
    expect(plan(bastionSwap(ctx, { image: "ubuntu-2404" }) as unknown as Runbook<RunContext>).map((s) => [s.id, s.source])).toEqual(
      ["current-bastion", "allow-operator-ip", "verify-direct", "disable-bastion", "enable-new-bastion", "verify-new-bastion", "remove-operator-ip", "verify-final"].map((id) => [id, "Updating the Bastion"]),
    );
  });

  test("GIVEN an empty --image or a bad --operator-ip THEN refused with exit 2 before anything", () => {
    for (const o of [{ image: " " }, { operatorIp: "10.0.0.0/8" }]) {
      const err = (() => {
        try {
          bastionSwap(ctx, o);
        } catch (e) {
          return e;
        }
      })();
      expect(exitCodeOf(err as never)).toBe(2);
    }
  });
});
