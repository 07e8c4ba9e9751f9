/**
 * Node images: whether one exists in OpenStack (the openstack CLI), and building one with
 * image-builder as the reference README's "Building node images" does — its var file written
 * from the stack's nodeImages settings and the version, then
 * `PACKER_VAR_FILES=<file> make build-openstack-ubuntu-2204` in images/capi.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { existsSync } from "node:fs";
import type { StackConfig } from "../../../config/schema";
import { SetupError, UsageError } from "../../../stacks/core/errors";
import { runTool, ToolError } from "../tools/run";

/** Whether `openstack image show NAME` finds an active image. */
export async function imageExists(name: string, signal?: AbortSignal): Promise<boolean> {
  try {
    const res = await runTool("openstack", { args: ["image", "show", name, "-f", "value", "-c", "status"], timeoutMs: 120_000, signal });
    return res.stdout.trim() === "active";
  } catch (err) {
    if (err instanceof ToolError && /No Image found|Could not find resource|No image with a name or ID/i.test(err.message)) return false;
    if (err instanceof ToolError && err.message.includes("not installed")) throw err;
    return false;
  }
}

/** image-builder's var file (the reference's example, from the stack config and the version). */
export function varFile(c: StackConfig, version: string, imageName: string): Record<string, string> {
  const n = c.nodeImages;
  if (!n) throw new UsageError("--build-image needs the image-builder settings in the stack: prow-ops:nodeImages (sourceImage, networks, flavor, floatingIpNetwork, sshUsername); see Pulumi.prow.yaml");
  const semver = version.slice(1);
  return {
    source_image: n.sourceImage,
    networks: n.networks,
    flavor: n.flavor,
    floating_ip_network: n.floatingIpNetwork,
    ssh_username: n.sshUsername,
    volume_type: n.volumeType ?? "",
    image_name: imageName,
    kubernetes_deb_version: `${semver}-${n.debRevision ?? "1.1"}`,
    kubernetes_rpm_version: semver,
    kubernetes_semver: version,
    kubernetes_series: version.replace(/\.\d+$/, ""),
  };
}

export interface BuildOptions {
  config: StackConfig;
  version: string;
  imageName: string;
  /** The image-builder checkout (default: $IMAGE_BUILDER_DIR, else ./image-builder). */
  imageBuilder?: string;
  signal: AbortSignal;
  report: (text: string) => void;
}

export async function buildImage(o: BuildOptions): Promise<void> {
  const root = resolve(o.imageBuilder ?? process.env.IMAGE_BUILDER_DIR ?? "image-builder");
  const capi = join(root, "images", "capi");
  if (!existsSync(join(capi, "Makefile"))) throw new SetupError(`${capi}/Makefile not found: give the image-builder checkout with --image-builder DIR (git clone https://github.com/kubernetes-sigs/image-builder)`);
  const dir = mkdtempSync(join(tmpdir(), "prow-ops-image-"));
  const file = join(dir, "var_file.json");
  try {
    writeFileSync(file, `${JSON.stringify(varFile(o.config, o.version, o.imageName), null, 2)}\n`);
    o.report(`building ${o.imageName} with image-builder (${capi}; this takes a while)`);
    // Packer reads the operator's OpenStack credentials from the environment (OS_CLOUD or OS_*), as the openstack CLI does.
    await runTool("make", { args: ["-C", capi, "build-openstack-ubuntu-2204"], env: { ...process.env, PACKER_VAR_FILES: file } as Record<string, string>, signal: o.signal, timeoutMs: 3 * 3_600_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
