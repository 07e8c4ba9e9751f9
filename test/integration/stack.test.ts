/**
 * The real engine, the real kubernetes provider and two real API servers: up, an idempotent
 * preview, a targeted config change, refresh and destroy.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump } from "js-yaml";
import type { DeclaredKube } from "../../stacks/core/declared";
import { type BedObject, bedObjects } from "./helpers/objects";
import { CANARY, startTestBed, type TestBed } from "./helpers/testbed";

const LAYERS = ["capi", "cluster", "cluster-resources", "infra", "prow"];

describe("the whole Kubernetes stack against local API servers", () => {
  let bed: TestBed;
  let objects: BedObject[];

  beforeAll(async () => {
    bed = await startTestBed(LAYERS);
    objects = await bedObjects(bed, LAYERS);
  });
  afterAll(async () => {
    await bed?.stop();
  });

  const cp = (cluster: "management" | "workload") => (cluster === "management" ? bed.management : bed.workload);
  const ref = (o: DeclaredKube["object"]) => [`${o.kind}.${o.apiVersion.split("/").length > 1 ? o.apiVersion.split("/")[0] : ""}`.replace(/\.$/, ""), o.metadata.name, ...(o.metadata.namespace ? ["-n", o.metadata.namespace] : [])];

  test("GIVEN both servers WHEN up THEN every declared object exists in its cluster", async () => {
    const result = await bed.stack.up({ onOutput: () => undefined });
    expect(result.summary.result).toBe("succeeded");
    const missing: string[] = [];
    for (const { cluster, d } of objects) {
      try {
        cp(cluster).kubectl(["get", ...ref(d.object), "-o", "name"]);
      } catch {
        missing.push(`${cluster}: ${d.name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test("THEN the Secrets hold the values set in config", () => {
    const token = bed.workload.kubectl(["get", "secret", "github-token", "-n", "prow", "-o", "jsonpath={.data.token}"]);
    expect(Buffer.from(token, "base64").toString()).toBe(`${CANARY.githubToken}\n`);
    const clouds = bed.management.kubectl(["get", "secret", "prow-cloud-config", "-n", "default", "-o", "jsonpath={.data.clouds\\.yaml}"]);
    expect(Buffer.from(clouds, "base64").toString()).toContain(`application_credential_secret: ${CANARY.openstackApplicationCredentialSecret}`);
  });

  test("THEN no secret value is in the state in plain text (pulumi stack export)", async () => {
    const state = JSON.stringify(await bed.stack.exportStack());
    expect(state).toContain("secrets_providers");
    expect(state).toContain("4dabf18193072939515e22adb298388d"); // Pulumi's marker of an encrypted value
    for (const [name, value] of Object.entries(CANARY)) expect({ name, found: state.includes(value) }).toEqual({ name, found: false });
  });

  test("WHEN previewed again THEN nothing changes", async () => {
    const preview = await bed.stack.preview({ onOutput: () => undefined });
    const changed = Object.entries(preview.changeSummary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0);
    expect(changed).toEqual([]);
  });

  test("THEN the state keeps no CRD schema: each CRD is its name and the sha256 of its manifest", async () => {
    const state = JSON.stringify(await bed.stack.exportStack());
    const crds = objects.filter((o) => o.d.object.kind === "CustomResourceDefinition");
    expect(crds.length).toBeGreaterThan(40);
    expect(state).not.toContain("openAPIV3Schema");
    expect(state.length).toBeLessThan(8 << 20);
  });

  test("GIVEN a CRD edited behind the stack's back WHEN previewed THEN exactly that CRD is updated, and up restores it", async () => {
    const path = "/spec/versions/0/schema/openAPIV3Schema/description";
    bed.workload.kubectl(["patch", "crd", "prowjobs.prow.k8s.io", "--type=json", "-p", JSON.stringify([{ op: "add", path, value: "edited by hand" }])]);
    const events: Array<{ op: string; urn: string }> = [];
    await bed.stack.preview({
      onEvent: (e) => {
        const m = e.resourcePreEvent?.metadata;
        if (m && m.op !== "same") events.push({ op: m.op, urn: m.urn });
      },
    });
    expect(events).toEqual([{ op: "update", urn: expect.stringMatching(/CustomResourceDefinition::customresourcedefinition:prowjobs\.prow\.k8s\.io$/) }]);
    await bed.stack.up({ onOutput: () => undefined });
    const description = bed.workload.kubectl(["get", "crd", "prowjobs.prow.k8s.io", "-o", "jsonpath={.spec.versions[0].schema.openAPIV3Schema.description}"]);
    expect(description).not.toContain("edited by hand");
  });

  test("GIVEN the autoscaler maximum raised WHEN previewed THEN exactly the worker MachineDeployment is updated", async () => {
    const cluster = structuredClone(bed.config.cluster) as { workers: { autoscaler: { max: number } } };
    cluster.workers.autoscaler.max = 7;
    await bed.setConfig({ cluster });
    const events: Array<{ op: string; urn: string }> = [];
    await bed.stack.preview({
      onEvent: (e) => {
        const m = e.resourcePreEvent?.metadata;
        if (m && m.op !== "same") events.push({ op: m.op, urn: m.urn });
      },
    });
    expect(events).toEqual([{ op: "update", urn: expect.stringMatching(/MachineDeployment::machinedeployment:default:prow-md-0$/) }]);
    const up = await bed.stack.up({ onOutput: () => undefined });
    expect(up.summary.resourceChanges).toMatchObject({ update: 1 });
    const max = bed.management.kubectl(["get", "machinedeployment", "prow-md-0", "-o", "jsonpath={.metadata.annotations.cluster\\.x-k8s\\.io/cluster-api-autoscaler-node-group-max-size}"]);
    expect(max).toBe("7");
  });

  test("WHEN refreshed THEN the state matches the servers", async () => {
    const refresh = await bed.stack.refresh({ onOutput: () => undefined });
    expect(refresh.summary.result).toBe("succeeded");
    const preview = await bed.stack.preview({ onOutput: () => undefined });
    expect(Object.entries(preview.changeSummary).filter(([op, n]) => op !== "same" && (n ?? 0) > 0)).toEqual([]);
  });

  test("THEN the real API server accepts every object under strict field validation", () => {
    // No webhook server runs here: each call would wait for its timeout (cert-manager's two
    // webhooks alone reach the request deadline). The check is about the objects' schemas, so
    // the webhook configurations go first; destroy below finds them gone.
    for (const cluster of ["management", "workload"] as const) {
      for (const kind of ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"]) cp(cluster).kubectl(["delete", kind, "--all"]);
    }
    for (const cluster of ["management", "workload"] as const) {
      const docs = objects.filter((o) => o.cluster === cluster).map((o) => o.manifest);
      const file = join(bed.stateDir, `${cluster}-objects.yaml`);
      writeFileSync(file, docs.map((doc) => dump(doc, { noRefs: true, lineWidth: -1 })).join("---\n"));
      cp(cluster).kubectl(["apply", "--server-side", "--dry-run=server", "--validate=strict", "--force-conflicts", "--field-manager=strict-check", "-f", file]);
    }
  });

  test("WHEN destroyed THEN neither server holds anything the stack made", async () => {
    // No prometheus-adapter runs here, so its aggregated metrics API never answers, and the
    // namespace controller cannot finish deleting any namespace while that APIService exists.
    // It is removed first, behind the stack's back (destroy then finds it gone); in a real
    // cluster the adapter serves it until the end.
    bed.workload.kubectl(["delete", "apiservice", "v1beta1.metrics.k8s.io"]);
    const result = await bed.stack.destroy({ onOutput: () => undefined });
    expect(result.summary.result).toBe("succeeded");
    const left: string[] = [];
    for (const { cluster, d } of objects) {
      const out = (() => {
        try {
          return cp(cluster).kubectl(["get", ...ref(d.object), "--ignore-not-found", "-o", "name"]);
        } catch {
          return "";
        }
      })();
      if (out.trim()) left.push(`${cluster}: ${d.name}`);
    }
    // Namespaces finish terminating shortly after their delete call returns.
    const stillThere = left.filter((entry) => {
      const { cluster, d } = objects.find((o) => `${o.cluster}: ${o.d.name}` === entry) as (typeof objects)[number];
      try {
        cp(cluster).kubectl(["wait", "--for=delete", "--timeout=120s", ...ref(d.object)]);
        return false;
      } catch {
        return true;
      }
    });
    expect(stillThere).toEqual([]);
  });
});
