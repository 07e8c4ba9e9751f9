/**
 * A real S3 server for the team-backend tests: versitygw (built by the test bed from its Go
 * module) serving a temp folder on 127.0.0.1. Its root keys reach it through its environment.
 */
import { type ChildProcess, spawn } from "node:child_process";
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

export async function startS3(): Promise<S3Server> {
  const root = mkdtempSync(join(tmpdir(), "prow-ops-s3-"));
  const port = await freePort();
  const child: ChildProcess = spawn(tool("versitygw"), ["--port", `127.0.0.1:${port}`, "posix", root], {
    env: { ...process.env, ROOT_ACCESS_KEY_ID: ACCESS, ROOT_SECRET_ACCESS_KEY: SECRET },
    stdio: "ignore",
  });
  await listening(port);
  const endpoint = `127.0.0.1:${port}`;
  return {
    endpoint,
    root,
    env: { AWS_ACCESS_KEY_ID: ACCESS, AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: "us-east-1" },
    backendUrl: (bucket) => `s3://${bucket}?endpoint=${endpoint}&s3ForcePathStyle=true&disableSSL=true&region=us-east-1`,
    // posix backend: a bucket is a folder of the root.
    makeBucket: (name) => mkdirSync(join(root, name)),
    stop: async () => {
      child.kill("SIGTERM");
      rmSync(root, { recursive: true, force: true });
    },
  };
}
