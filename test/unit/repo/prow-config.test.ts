import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { disableRepo, enableRepo, type ProwFiles, parseRepoName, repoStatus } from "../../../cli/lib/repo/prow-config";
import { insertedLines } from "../../../cli/lib/repo/yaml-edit";
import { PROJECT_ROOT } from "../../helpers/config";

/** The project's copies of the hand-run config/config.yaml and config/plugins.yaml. */
const files = (): ProwFiles => ({
  config: readFileSync(join(PROJECT_ROOT, "config", "config.yaml"), "utf8"),
  plugins: readFileSync(join(PROJECT_ROOT, "config", "plugins.yaml"), "utf8"),
});

/** Lines the edit added to each file; fails the test when anything else in the file changed. */
function added(before: ProwFiles, after: ProwFiles): { config: string[]; plugins: string[] } {
  const config = insertedLines(before.config, after.config);
  const plugins = insertedLines(before.plugins, after.plugins);
  if (!config || !plugins) throw new Error("an existing line changed");
  return { config, plugins };
}

describe("repo enable / disable on the hand-run config files", () => {
  test("GIVEN a new Nordix repository with rebase THEN only its lines are added: tide, merge_method, plugins, approve and the needs-rebase every Nordix repository has", () => {
    const before = files();
    const edit = enableRepo(before, "Nordix/metal3-new-tool", { mergeMethod: "rebase" });
    expect(added(before, edit)).toEqual({
      config: ["    Nordix/metal3-new-tool: rebase", "    - Nordix/metal3-new-tool"],
      plugins: ["  Nordix/metal3-new-tool:", "  - Nordix/metal3-new-tool", "  Nordix/metal3-new-tool:", "  - name: needs-rebase", "    events:", "    - pull_request", "    - issue_comment"],
    });
    const config = parse(edit.config);
    const plugins = parse(edit.plugins);
    expect(config.tide.merge_method["Nordix/metal3-new-tool"]).toBe("rebase");
    expect(config.tide.queries[0].repos.slice(-4)).toEqual(["Nordix/metal3-dev-tools", "Nordix/metal3-clusterapi-docs", "Nordix/sles-ironic-python-agent-builder", "Nordix/metal3-new-tool"]);
    expect(plugins.plugins).toHaveProperty(["Nordix/metal3-new-tool"], null);
    expect(plugins.approve[0].repos).toContain("Nordix/metal3-new-tool");
    expect(plugins.external_plugins["Nordix/metal3-new-tool"]).toEqual([{ name: "needs-rebase", events: ["pull_request", "issue_comment"] }]);
    expect(edit.notes.join("\n")).toMatch(/cherrypicker not added: only some Nordix repositories/);
  });

  test("GIVEN a new metal3-io repository THEN it joins the tide query and plugins only: the org's merge method, approve and external plugins already cover it", () => {
    const before = files();
    const edit = enableRepo(before, "metal3-io/new-operator");
    expect(added(before, edit)).toEqual({ config: ["    - metal3-io/new-operator"], plugins: ["  metal3-io/new-operator:"] });
    // placed after the org's last repository, not at the end of the list
    const repos: string[] = parse(edit.config).tide.queries[0].repos;
    expect(repos.indexOf("metal3-io/new-operator")).toBe(repos.indexOf("metal3-io/utility-images") + 1);
  });

  test("GIVEN a merge method that differs from the org's THEN merge_method names the repository beside its org", () => {
    const before = files();
    const edit = enableRepo(before, "metal3-io/new-operator", { mergeMethod: "squash" });
    expect(added(before, edit).config).toEqual(["    metal3-io/new-operator: squash", "    - metal3-io/new-operator"]);
    expect(Object.keys(parse(edit.config).tide.merge_method).slice(0, 2)).toEqual(["metal3-io", "metal3-io/new-operator"]);
    expect(edit.changes.join("\n")).toMatch(/metal3-io merges with merge/);
  });

  test("GIVEN --like THEN that repository's plugins, external plugins, lists and merge method are copied; its milestones are not", () => {
    const before = files();
    const edit = enableRepo(before, "Nordix/new-builder", { like: "Nordix/sles-ironic-python-agent-builder" });
    const plugins = parse(edit.plugins);
    expect(plugins.external_plugins["Nordix/new-builder"].map((e: { name: string }) => e.name)).toEqual(["needs-rebase", "cherrypicker"]);
    expect(parse(edit.config).tide.merge_method["Nordix/new-builder"]).toBe("rebase");
    expect(plugins.approve[0].repos).toContain("Nordix/new-builder");

    const infra = enableRepo(before, "metal3-io/infra-two", { like: "metal3-io/project-infra" });
    expect(parse(infra.plugins).plugins["metal3-io/infra-two"]).toEqual({ plugins: ["config-updater"] });
    const bmo = enableRepo(before, "metal3-io/bmo-two", { like: "metal3-io/baremetal-operator" });
    expect(parse(bmo.plugins).milestone_applier).not.toHaveProperty(["metal3-io/bmo-two"]);
    expect(bmo.notes.join("\n")).toMatch(/milestone_applier of metal3-io\/baremetal-operator not copied/);
  });

  test.each([
    ["Nordix/metal3-new-tool", { mergeMethod: "rebase" as const }],
    ["metal3-io/new-operator", {}],
    ["metal3-io/new-operator", { mergeMethod: "squash" as const }],
    ["Nordix/new-builder", { like: "Nordix/sles-ironic-python-agent-builder" }],
    ["metal3-io/infra-two", { like: "metal3-io/project-infra" }],
  ])("GIVEN %s enabled (%j) THEN disable gives back both files byte for byte", (repo, opts) => {
    const before = files();
    const enabled = enableRepo(before, repo, opts);
    const disabled = disableRepo(enabled, repo);
    expect(disabled.config).toBe(before.config);
    expect(disabled.plugins).toBe(before.plugins);
  });

  test("GIVEN an enabled repository THEN enable again changes nothing and disable removes every mention, only whole lines", () => {
    const before = files();
    expect(enableRepo(before, "Nordix/metal3-dev-tools").changes).toEqual([]);
    const edit = disableRepo(before, "Nordix/metal3-dev-tools");
    expect(insertedLines(edit.config, before.config)).toEqual(["    Nordix/metal3-dev-tools: rebase", "    - Nordix/metal3-dev-tools"]);
    expect(edit.config + edit.plugins).not.toContain("Nordix/metal3-dev-tools");
    expect(insertedLines(edit.plugins, before.plugins)?.length).toBeGreaterThan(5);
    expect(repoStatus(edit, "Nordix/metal3-dev-tools").enabledIn).toEqual([]);
    expect(disableRepo(edit, "Nordix/metal3-dev-tools").changes).toEqual([]);
  });

  test("GIVEN an enable interrupted after config.yaml THEN enable again adds only what plugins.yaml misses", () => {
    const before = files();
    const full = enableRepo(before, "Nordix/metal3-new-tool", { mergeMethod: "rebase" });
    const resumed = enableRepo({ config: full.config, plugins: before.plugins }, "Nordix/metal3-new-tool", { mergeMethod: "rebase" });
    expect(resumed.changes.every((c) => c.startsWith("plugins.yaml"))).toBe(true);
    expect(resumed.plugins).toBe(full.plugins);
    expect(resumed.config).toBe(full.config);
  });

  test("GIVEN bad input THEN a usage error says what is expected", () => {
    const before = files();
    expect(() => parseRepoName("metal3-io")).toThrow(/not a GitHub repository \(expected ORG\/REPO/);
    expect(() => parseRepoName("metal3-io/a b")).toThrow(/not a GitHub repository/);
    expect(() => enableRepo(before, "kubernetes/test-infra")).toThrow(/kubernetes is not an org this Prow serves \(it serves Nordix, metal3-io\)/);
    expect(() => enableRepo(before, "Nordix/x", { like: "Nordix/unknown" })).toThrow(/--like Nordix\/unknown: that repository is not enabled/);
    expect(() => enableRepo(before, "Nordix/x", { like: "Nordix/x" })).toThrow(/--like names the repository being enabled/);
  });

  test("GIVEN a list written in flow style THEN the edit is refused rather than re-formatting it", () => {
    const before = files();
    const flow = { ...before, plugins: before.plugins.replace(/^approve:\n- repos:\n {2}- metal3-io\n {2}- Nordix\/metal3-clusterapi-docs\n {2}- Nordix\/metal3-dev-tools\n {2}- Nordix\/sles-ironic-python-agent-builder\n/m, "approve:\n- repos: [metal3-io, Nordix/metal3-clusterapi-docs, Nordix/metal3-dev-tools, Nordix/sles-ironic-python-agent-builder]\n") };
    expect(flow.plugins).not.toBe(before.plugins);
    expect(() => enableRepo(flow, "Nordix/metal3-new-tool")).toThrow(/edit it by hand/);
  });
});
