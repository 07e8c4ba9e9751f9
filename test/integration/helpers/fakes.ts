/**
 * Fake executables for the runbook tests, and killing a CLI with everything it started: the
 * openstack CLI (a few images and servers, every call logged), the kind double and the
 * recorder around the real clusterctl (../fakes).
 */
import { type ChildProcess, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../helpers/config";
import { tool } from "./tools";

/** kill -9 of a process and all its descendants (the engine and its plugins included). */
export function killTree(child: ChildProcess): void {
  const tree = (pid: number): number[] => {
    const kids = (spawnSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).stdout ?? "").split(/\s+/).filter(Boolean).map(Number);
    return [...kids.flatMap(tree), ...kids];
  };
  for (const pid of [child.pid as number, ...tree(child.pid as number)]) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

/** An openstack CLI that knows these images (and those added to `<dir>/images`; every server is ACTIVE); returns its log. */
export function fakeOpenstack(dir: string, images: string[]): string {
  const log = join(dir, "openstack.log");
  writeFileSync(join(dir, "images"), images.map((i) => `${i}\n`).join(""));
  writeFileSync(
    join(dir, "openstack"),
    `#!/bin/sh
echo "$*" >> ${log}
case "$1 $2" in
  "--version ") echo "openstack 6.6.0" ;;
  "image show") grep -qx "$3" ${join(dir, "images")} && { echo active; exit 0; }; echo "No Image found for $3" >&2; exit 1 ;;
  "server show") echo ACTIVE ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
`,
  );
  chmodSync(join(dir, "openstack"), 0o755);
  return log;
}

/** kind (a real local control plane per cluster, state in kindDir) and the real clusterctl, its calls recorded (clusterctl.log), in `dir`; the env they need. */
export function fakeKindAndClusterctl(dir: string, o: { kindDir: string }): Record<string, string> {
  symlinkSync(join(PROJECT_ROOT, "test/integration/fakes/kind.js"), join(dir, "kind"));
  symlinkSync(join(PROJECT_ROOT, "test/integration/fakes/clusterctl-recorder.js"), join(dir, "clusterctl"));
  return { FAKE_KIND_DIR: o.kindDir, CLUSTERCTL_LOG: join(dir, "clusterctl.log"), REAL_CLUSTERCTL: tool("clusterctl") };
}

/**
 * An image-builder checkout whose `make build-openstack-ubuntu-2204` records the var file it
 * was given (PACKER_VAR_FILES) and "uploads" the image to the fake openstack's list; a packer
 * that reports a version. Returns the checkout and the log of var files.
 */
export function fakeImageBuilder(dir: string): { checkout: string; log: string } {
  const checkout = join(dir, "image-builder");
  const log = join(dir, "image-builder.log");
  mkdirSync(join(checkout, "images", "capi"), { recursive: true });
  writeFileSync(
    join(checkout, "images", "capi", "Makefile"),
    `build-openstack-ubuntu-2204:
	cat "$$PACKER_VAR_FILES" >> ${log}
	node -e 'process.stdout.write(require(process.env.PACKER_VAR_FILES).image_name + "\\n")' >> ${join(dir, "images")}
`,
  );
  writeFileSync(join(dir, "packer"), "#!/bin/sh\necho 'Packer v1.11.2'\n");
  chmodSync(join(dir, "packer"), 0o755);
  return { checkout, log };
}
