/**
 * A team's stack on the cloud's object store: the Pulumi S3 backend on a real S3 server
 * (versitygw on 127.0.0.1), two maintainers at once, a crashed run's lock, and the team
 * store (runbook lock, journals, audit) in the same bucket.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { S3Store } from "../../cli/lib/team/s3-store";
import { type CliProject, cliProject } from "./helpers/cli-project";
import type { ControlPlane } from "../../cli/lib/sandbox/control-plane";
import { type S3Server, startS3 } from "./helpers/s3-server";
import { CANARY, startClusters } from "./helpers/testbed";

describe("the team backend: Pulumi's S3 backend on the cloud's object store", () => {
  let s3: S3Server;
  let clusters: { management: ControlPlane; workload: ControlPlane; stop(): Promise<void> };
  let p: CliProject;
  let backend: string;

  beforeAll(async () => {
    s3 = await startS3();
    s3.makeBucket("prow-state");
    backend = s3.backendUrl("prow-state");
    clusters = await startClusters("team");
    p = cliProject(clusters.management, clusters.workload, ["infra", "prow"], "team");
    Object.assign(p.env, s3.env);
    Object.assign(process.env, s3.env);
    for (const [name, value] of Object.entries(CANARY)) {
      const res = await p.run(["--backend", backend, "secrets", "set", name], { input: value });
      expect(res.code).toBe(0);
    }
  });
  afterAll(async () => {
    await clusters?.stop();
    await s3?.stop();
  });

  test("GIVEN two maintainers WHEN both run up at once THEN the second is refused with exit 3 naming the holder, the first completes, and the state is in the bucket", async () => {
    let second: Promise<{ code: number | null; stderr: string }> | undefined;
    const first = await p.run(["--backend", backend, "--yes", "up"], {
      onStderr: (text) => {
        if (!second && /creating .*\[(infra|prow)\]/.test(text)) second = p.run(["--backend", backend, "--yes", "up"]);
      },
    });
    expect(first.code).toBe(0);
    const refused = await (second as Promise<{ code: number | null; stderr: string }>);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/stack team is locked by up \(run \S+\) of \S+@\S+ \(pid \d+\) since \S+\. Wait for it to end; if that run crashed, break the lock with `prow-ops unlock --stack team`\./);
    const again = await p.run(["--backend", backend, "--json", "preview", "--expect-no-changes"]);
    expect(again.code).toBe(0);
    expect(existsSync(join(s3.root, "prow-state", ".pulumi", "stacks", "prow-ops", "team.json"))).toBe(true);
  });

  test("GIVEN a run killed outright (kill -9) THEN the next run reports the lock with the command that breaks it, and that command does", async () => {
    expect((await p.run(["--backend", backend, "config", "set", "ingress.replicas", "3"])).code).toBe(0);
    const killed = await p.run(["--backend", backend, "--yes", "up"], {
      onStderr: (text, child: ChildProcess) => {
        if (!child.killed && /updating .*\[infra\]/.test(text)) {
          // The CLI and the pulumi engine under it, as a power cut would.
          const engine = execFileSync("ps", ["-o", "pid=", "--ppid", String(child.pid)], { encoding: "utf8" }).trim().split(/\s+/).filter(Boolean);
          for (const pid of engine) process.kill(Number(pid), "SIGKILL");
          child.kill("SIGKILL");
        }
      },
    });
    expect(killed.code).toBeNull();
    const blocked = await p.run(["--backend", backend, "--yes", "up"]);
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toMatch(/if that run crashed, break the lock with `prow-ops unlock --stack team`/);
    expect((await p.run(["--backend", backend, "--yes", "unlock"])).code).toBe(0);
    const done = await p.run(["--backend", backend, "--yes", "up"]);
    expect(done.code).toBe(0);
  });

  test("GIVEN the team store in the same bucket THEN a lock record can be taken by only one maintainer", async () => {
    const store = S3Store.fromBackendUrl(backend);
    expect(await store.create("locks/team.json", '{"runbook":"a"}')).toBe(true);
    expect(await store.create("locks/team.json", '{"runbook":"b"}')).toBe(false);
    expect(await store.read("locks/team.json")).toBe('{"runbook":"a"}');
    const unlock = await p.run(["--backend", backend, "--yes", "unlock"]);
    expect(unlock.code).toBe(0);
    expect(await store.read("locks/team.json")).toBeUndefined();
  });
});
