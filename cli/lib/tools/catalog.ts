/**
 * The external tools the runbooks drive: where each is found (PATH, else the test bed's
 * .tools/bin for those it builds), how its version is read, the oldest usable version and
 * how to install it. A runbook's preflight checks its tools before its first step.
 */
import { join } from "node:path";
import semver from "semver";
import { SetupError } from "../../../stacks/core/errors";
import { projectRoot } from "../../../stacks/core/paths";
import { onPath } from "../engine/pulumi-cli";

export type ToolName = "kubectl" | "clusterctl" | "kind" | "openstack" | "s3cmd" | "ssh" | "make" | "packer" | "pulumi";

interface ToolSpec {
  versionArgs: string[];
  /** First capture group: a semver-ish version. */
  versionPattern: RegExp;
  minimum: string;
  install: string;
}

export const TOOLS: Record<ToolName, ToolSpec> = {
  kubectl: { versionArgs: ["version", "--client"], versionPattern: /Client Version: v?(\d+\.\d+\.\d+)/, minimum: "1.29.0", install: "https://kubernetes.io/docs/tasks/tools/ (or the test bed's: npm run testbed:setup)" },
  clusterctl: { versionArgs: ["version", "-o", "short"], versionPattern: /v?(\d+\.\d+\.\d+)/, minimum: "1.8.0", install: "https://cluster-api.sigs.k8s.io/user/quick-start#install-clusterctl, the release of the stack's versions.clusterApi (or npm run testbed:setup)" },
  kind: { versionArgs: ["version"], versionPattern: /kind v?(\d+\.\d+\.\d+)/, minimum: "0.20.0", install: "go install sigs.k8s.io/kind@v0.33.0 (and a container engine)" },
  openstack: { versionArgs: ["--version"], versionPattern: /openstack (\d+\.\d+\.\d+)/, minimum: "5.0.0", install: "apt-get install python3-openstackclient (or pip install python-openstackclient python-octaviaclient)" },
  s3cmd: { versionArgs: ["--version"], versionPattern: /s3cmd version (\d+\.\d+\.\d+)/, minimum: "2.0.0", install: "apt-get install s3cmd" },
  // ssh-keygen and ssh-keyscan come with ssh (openssh-client) and print no version of their own.
  ssh: { versionArgs: ["-V"], versionPattern: /OpenSSH_(\d+\.\d+)/, minimum: "8.0.0", install: "apt-get install openssh-client" },
  make: { versionArgs: ["--version"], versionPattern: /GNU Make (\d+\.\d+(?:\.\d+)?)/, minimum: "4.0.0", install: "apt-get install make" },
  packer: { versionArgs: ["version"], versionPattern: /Packer v?(\d+\.\d+\.\d+)/, minimum: "1.9.0", install: "https://developer.hashicorp.com/packer/install (image-builder needs it)" },
  pulumi: { versionArgs: ["version"], versionPattern: /v?(\d+\.\d+\.\d+)/, minimum: "3.181.0", install: "https://www.pulumi.com/docs/iac/download-install/ (or npm run testbed:setup)" },
};

/** The tool's path: on PATH, else the test bed's build. Unknown paths return the bare name (execa then reports ENOENT). */
export function toolPath(name: ToolName, path = process.env.PATH): string {
  return onPath(name, path) ?? onPath(name, join(projectRoot(), ".tools", "bin")) ?? name;
}

export interface ToolStatus {
  name: ToolName;
  path?: string;
  version?: string;
  problem?: string;
}

export async function probe(name: ToolName): Promise<ToolStatus> {
  const spec = TOOLS[name];
  const path = toolPath(name);
  if (path === name) return { name, problem: `not found (install: ${spec.install})` };
  const execa = require("execa") as typeof import("execa");
  const res = await execa(path, spec.versionArgs, { reject: false, timeout: 15000, stdin: "ignore" });
  const found = spec.versionPattern.exec(`${res.stdout}\n${res.stderr}`)?.[1];
  const version = found ? semver.coerce(found)?.version : undefined;
  if (!version) return { name, path, problem: `its version could not be read from \`${name} ${spec.versionArgs.join(" ")}\`` };
  if (semver.lt(version, spec.minimum)) return { name, path, version, problem: `version ${version} is older than ${spec.minimum} (install: ${spec.install})` };
  return { name, path, version };
}

/** Every tool present at a usable version, or one error listing what to install. */
export async function preflight(names: readonly ToolName[]): Promise<ToolStatus[]> {
  const statuses = await Promise.all([...new Set(names)].map(probe));
  const bad = statuses.filter((s) => s.problem);
  if (bad.length) throw new SetupError(`missing or unusable tools:\n${bad.map((s) => `  ${s.name}: ${s.problem}`).join("\n")}`);
  return statuses;
}
