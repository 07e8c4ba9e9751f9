/**
 * A real S3 server for the team-backend tests: versitygw (built by the test bed from its Go
 * module) serving a temp folder on 127.0.0.1. Its root keys reach it through its environment.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../../cli/lib/sandbox/control-plane";
import { tool } from "./tools";

export interface S3Server {
  endpoint: string;
  /** The folder it serves (a bucket is a folder of it). */
  root: string;
  /** Environment for clients: the keys and region. */
  env: Record<string, string>;
  backendUrl(bucket: string): string;
  makeBucket(name: string): void;
  /** Adds an S3 user with access to every bucket (versitygw's admin API; needs `users`). */
  createUser(access: string, secret: string): Promise<void>;
  stop(): Promise<void>;
}

const ACCESS = "prowopstestaccess";
const SECRET = "prow-ops-test-secret-key-0123456789";

async function listening(port: number, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`versitygw did not listen on 127.0.0.1:${port}`);
}

/** `root`: the root keys (default: fixed test keys); `users`: an internal IAM, so users can be added; `region`: the one requests must be signed for. */
export async function startS3(o: { rootAccess?: string; rootSecret?: string; users?: boolean; region?: string } = {}): Promise<S3Server> {
  const root = mkdtempSync(join(tmpdir(), "prow-ops-s3-"));
  const port = await freePort();
  const access = o.rootAccess ?? ACCESS;
  const secret = o.rootSecret ?? SECRET;
  const iam = o.users ? ["--iam-dir", mkdtempSync(join(tmpdir(), "prow-ops-s3-iam-"))] : [];
  const child: ChildProcess = spawn(tool("versitygw"), ["--port", `127.0.0.1:${port}`, "--region", o.region ?? "us-east-1", ...iam, "posix", root], {
    env: { ...process.env, ROOT_ACCESS_KEY_ID: access, ROOT_SECRET_ACCESS_KEY: secret },
    stdio: "ignore",
  });
  await listening(port);
  const endpoint = `127.0.0.1:${port}`;
  return {
    endpoint,
    root,
    env: { AWS_ACCESS_KEY_ID: access, AWS_SECRET_ACCESS_KEY: secret, AWS_REGION: o.region ?? "us-east-1" },
    backendUrl: (bucket) => `s3://${bucket}?endpoint=${endpoint}&s3ForcePathStyle=true&disableSSL=true&region=${o.region ?? "us-east-1"}`,
    // posix backend: a bucket is a folder of the root.
    makeBucket: (name) => mkdirSync(join(root, name)),
    createUser: async (userAccess, userSecret) => {
      // The test double's own plumbing: versitygw's admin CLI takes the user's keys as arguments.
      const res = spawnSync(tool("versitygw"), ["admin", "--endpoint-url", `http://${endpoint}`, "create-user", "--access", userAccess, "--secret", userSecret, "--role", "admin"], {
        env: { ...process.env, ADMIN_ACCESS_KEY_ID: access, ADMIN_SECRET_ACCESS_KEY: secret, ADMIN_REGION: o.region ?? "us-east-1" },
        encoding: "utf8",
      });
      if (res.status !== 0) throw new Error(`versitygw admin create-user failed: ${res.stderr}`);
    },
    stop: async () => {
      child.kill("SIGTERM");
      rmSync(root, { recursive: true, force: true });
    },
  };
}
