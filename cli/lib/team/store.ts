/**
 * Where the team's shared records live, beside the Pulumi state: the runbook lock, the run
 * journals and the audit records. For the file backend a folder next to the state; for the
 * S3 backend the same bucket (cli/lib/team/s3-store.ts). Keys are relative paths under
 * `.prow-ops/`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "../../../stacks/core/errors";

export interface TeamStore {
  /** Where it is, for people. */
  readonly location: string;
  /** Writes only when the key does not exist yet; false when it does (the lock primitive). */
  create(key: string, body: string): Promise<boolean>;
  read(key: string): Promise<string | undefined>;
  write(key: string, body: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** Keys under a prefix folder, sorted. */
  list(prefix: string): Promise<string[]>;
}

export const TEAM_DIR = ".prow-ops";

export class FileStore implements TeamStore {
  readonly location: string;
  constructor(private readonly root: string) {
    this.location = root;
  }

  private path(key: string): string {
    return join(this.root, key);
  }

  async create(key: string, body: string): Promise<boolean> {
    const path = this.path(key);
    mkdirSync(dirname(path), { recursive: true });
    try {
      writeFileSync(path, body, { flag: "wx" });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw err;
    }
  }

  async read(key: string): Promise<string | undefined> {
    const path = this.path(key);
    return existsSync(path) ? readFileSync(path, "utf8") : undefined;
  }

  async write(key: string, body: string): Promise<void> {
    const path = this.path(key);
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, body);
    renameSync(tmp, path);
  }

  async remove(key: string): Promise<void> {
    rmSync(this.path(key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.path(prefix);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => !f.endsWith(".tmp"))
      .sort()
      .map((f) => join(prefix, f));
  }
}

/** The store that belongs to a Pulumi backend URL. */
export async function teamStoreFor(backendUrl: string): Promise<TeamStore> {
  if (backendUrl.startsWith("file://")) return new FileStore(join(backendUrl.slice("file://".length), TEAM_DIR));
  if (backendUrl.startsWith("s3://")) {
    const { S3Store } = await import("./s3-store");
    return S3Store.fromBackendUrl(backendUrl);
  }
  throw new UsageError(`backend ${backendUrl}: prow-ops keeps its team records beside the state on file:// and s3:// backends only`);
}
