/**
 * The local cloud's `openstack` command: the few calls the runbooks make (image show, server
 * show) and what a person needs to rehearse an upgrade (image create / list / delete). Images
 * live in a catalog file of the sandbox (it starts with every image the sandbox stack names);
 * servers are the sandbox's Machines (what CAPO would have created) and its bastion.
 * `sandbox up` puts it on the PATH of `sandbox run`; `prow-ops sandbox openstack` calls it.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../../../stacks/core/errors";
import { fromRoot, writeAtomic } from "../../../stacks/core/paths";
import { sandboxTool } from "./tools";

export interface OpenstackCliEnv {
  catalog: string;
  operatorNamespace: string;
  managementKubeconfig: string;
  namespace: string;
}

const USAGE = "the sandbox's openstack answers: image show|create|delete NAME, image list, server show NAME (options -f value -c status are accepted)";

/** The catalog's images, one per line. */
export const readCatalog = (file: string): string[] => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

/** Writes the catalog (if missing) and the `openstack` executable in `<dir>/bin`; returns that folder for PATH. */
export function installOpenstackCli(dir: string, catalog: string, images: string[]): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  if (!existsSync(catalog)) writeAtomic(catalog, [...new Set(images)].map((i) => `${i}\n`).join(""));
  const exe = join(bin, "openstack");
  writeFileSync(exe, `#!/bin/sh\nexec "${process.execPath}" "${fromRoot("bin", "prow-ops.js")}" sandbox openstack -- "$@"\n`);
  chmodSync(exe, 0o755);
  return bin;
}

/** Runs one openstack call against the local cloud; returns what it prints and its exit code. */
export function openstackCall(args: string[], env: OpenstackCliEnv): { out: string; err: string; code: number } {
  // Output options (-f value -c status, --format json, ...) do not change what is answered.
  const positional = args.filter((a, i) => !a.startsWith("-") && !(i > 0 && /^(-f|-c|--format|--column|--disk-format|--container-format|--file)$/.test(args[i - 1])));
  const [resource, action, name] = positional;
  if (args[0] === "--version") return { out: "openstack 6.6.0 (prow-ops sandbox)\n", err: "", code: 0 };
  const images = readCatalog(env.catalog);
  if (resource === "image" && action === "list") return { out: images.map((i) => `${i}\n`).join(""), err: "", code: 0 };
  if (!name) throw new UsageError(USAGE);
  if (resource === "image" && action === "show") return images.includes(name) ? { out: "active\n", err: "", code: 0 } : { out: "", err: `No Image found for ${name}\n`, code: 1 };
  if (resource === "image" && action === "create") {
    if (!images.includes(name)) writeAtomic(env.catalog, [...images, name].map((i) => `${i}\n`).join(""));
    return { out: `${name} active\n`, err: "", code: 0 };
  }
  if (resource === "image" && action === "delete") {
    if (!images.includes(name)) return { out: "", err: `No Image found for ${name}\n`, code: 1 };
    writeAtomic(env.catalog, images.filter((i) => i !== name).map((i) => `${i}\n`).join(""));
    return { out: "", err: "", code: 0 };
  }
  if (resource === "server" && action === "show") {
    // A server is a Machine's (its OpenStackMachine's) or the bastion: ask the management cluster.
    const kubectl = (what: string[]) =>
      spawnSync("ip", ["netns", "exec", env.operatorNamespace, sandboxTool("kubectl"), `--kubeconfig=${env.managementKubeconfig}`, "-n", env.namespace, "get", ...what], { encoding: "utf8" });
    const machine = kubectl(["machine", name, "-o", "name"]);
    const bastion = kubectl(["openstackcluster", "-o", "jsonpath={.items[*].status.bastion.name}"]);
    const found = machine.status === 0 || (bastion.stdout ?? "").split(/\s+/).includes(name);
    return found ? { out: "ACTIVE\n", err: "", code: 0 } : { out: "", err: `No Server found for ${name}\n`, code: 1 };
  }
  throw new UsageError(USAGE);
}
