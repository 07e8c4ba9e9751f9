import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManifestError } from "../../../stacks/core/errors";
import { loadUpstream, sha256, UPSTREAM_LOCK } from "../../../stacks/core/upstream";
import { MIRROR } from "../../helpers/config";

const tmp = () => mkdtempSync(join(tmpdir(), "prow-ops-upstream-"));
const CRD = join(MIRROR, "prow-crd-8e8a5cfe/prowjob_customresourcedefinition.yaml");
const noNetwork = async (url: string): Promise<Buffer> => {
  throw new Error(`unexpected download of ${url}`);
};

/** These tests choose mirror and download themselves; an ambient mirror must not leak in. */
function withoutAmbientMirror(): void {
  const ambientMirror = process.env.PROW_OPS_MIRROR;
  beforeAll(() => {
    delete process.env.PROW_OPS_MIRROR;
  });
  afterAll(() => {
    if (ambientMirror !== undefined) process.env.PROW_OPS_MIRROR = ambientMirror;
  });
}

describe("upstream manifests", () => {
  withoutAmbientMirror();

  test("GIVEN the lock WHEN loaded from the offline copies THEN every entry is found by hash and yields objects", async () => {
    const ids = Object.keys(UPSTREAM_LOCK) as Array<keyof typeof UPSTREAM_LOCK>;
    const out = await loadUpstream(ids, { mirror: MIRROR, cacheDir: tmp(), download: noNetwork });
    for (const id of ids) expect(out[id].length).toBeGreaterThan(0);
  });

  test("GIVEN a mirror holding the file under any path WHEN loaded THEN it is found by hash and parsed", async () => {
    const mirror = tmp();
    mkdirSync(join(mirror, "some/other/place"), { recursive: true });
    copyFileSync(CRD, join(mirror, "some/other/place/renamed.yaml"));
    const out = await loadUpstream(["prowjob-crd"], { mirror, cacheDir: tmp(), download: noNetwork });
    expect(out["prowjob-crd"]).toHaveLength(1);
    expect(out["prowjob-crd"][0].kind).toBe("CustomResourceDefinition");
  });

  test("GIVEN a tampered file in the mirror WHEN loaded THEN it is not found and nothing is cached", async () => {
    const mirror = tmp();
    const cacheDir = tmp();
    writeFileSync(join(mirror, "prowjob_customresourcedefinition.yaml"), `${readFileSync(CRD, "utf8")}\n# tampered\n`);
    await expect(loadUpstream(["prowjob-crd"], { mirror, cacheDir, download: noNetwork })).rejects.toThrow(/has no file with sha256 bf40e93e/);
  });

  test("GIVEN a download whose bytes differ from the lock WHEN loaded THEN it is an error naming the file, and it is never cached or used", async () => {
    const cacheDir = tmp();
    const tampered = async () => Buffer.from(`${readFileSync(CRD, "utf8")}# tampered\n`);
    const attempt = loadUpstream(["prowjob-crd"], { cacheDir, download: tampered });
    await expect(attempt).rejects.toBeInstanceOf(ManifestError);
    await expect(loadUpstream(["prowjob-crd"], { cacheDir, download: tampered })).rejects.toThrow(/prowjob-crd \(https:\/\/raw\.githubusercontent\.com\/kubernetes-sigs\/prow\/.*\) has sha256 [0-9a-f]{64} but config\/upstream\.lock\.json pins bf40e93e/);
    // A good download afterwards works: nothing of the bad one was kept.
    const good = await loadUpstream(["prowjob-crd"], { cacheDir, download: async () => readFileSync(CRD) });
    expect(good["prowjob-crd"]).toHaveLength(1);
  });

  test("GIVEN a cached file WHEN loaded again THEN no download or mirror is needed", async () => {
    const cacheDir = tmp();
    await loadUpstream(["calico"], { mirror: MIRROR, cacheDir });
    const again = await loadUpstream(["calico"], { cacheDir, download: noNetwork });
    expect(again.calico.length).toBeGreaterThan(10);
    expect(sha256(readFileSync(join(cacheDir, `${UPSTREAM_LOCK.calico.sha256}.yaml`)))).toBe(UPSTREAM_LOCK.calico.sha256);
  });

  test("GIVEN a mirror folder that does not exist WHEN loaded THEN the error says how to fix it", async () => {
    await expect(loadUpstream(["calico"], { mirror: "/nonexistent/mirror", cacheDir: tmp() })).rejects.toThrow(/mirror folder \/nonexistent\/mirror does not exist/);
  });
});

describe("manifests that cannot be had", () => {
  withoutAmbientMirror();

  test("GIVEN a warm cache and a mirror folder that does not exist THEN it is still an error", async () => {
    const cacheDir = tmp();
    await loadUpstream(["calico"], { mirror: MIRROR, cacheDir });
    await expect(loadUpstream(["calico"], { mirror: "/nonexistent/mirror", cacheDir })).rejects.toThrow(/mirror folder \/nonexistent\/mirror does not exist/);
  });

  test("GIVEN no mirror and no network THEN the error names the manifest and how to serve it offline", async () => {
    const offline = async () => {
      throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ENOTFOUND" } });
    };
    const saved = globalThis.fetch;
    globalThis.fetch = offline as typeof fetch;
    try {
      await expect(loadUpstream(["calico"], { cacheDir: tmp() })).rejects.toThrow(/cannot download https:\/\/\S+calico\S* \(ENOTFOUND\): this machine may be offline\. Serve the pinned manifests from a folder with --mirror DIR or PROW_OPS_MIRROR=DIR/);
    } finally {
      globalThis.fetch = saved;
    }
  });
});
