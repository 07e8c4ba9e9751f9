import { diagnose, engineErrorLines } from "../../../cli/lib/engine/diagnose";
import { exitCodeOf } from "../../../cli/lib/exit-codes";

const c = { stack: "prow", backend: "s3://prow-state?endpoint=xerces.ericsson.net:7480" };
const URN = "urn:pulumi:prow::prow-ops::pulumi:providers:github::github-Nordix";

describe("engine errors in one sentence", () => {
  test("GIVEN the github provider's owner lookup refused with a bad token THEN the sentence names the owner, the 401 and the secret to set (exit 2)", () => {
    const err = diagnose(`${URN} error: failed to lookup organization Nordix: GET https://api.github.com/orgs/Nordix: 401 Bad credentials []`, c);
    expect(err?.message).toBe("GitHub refused the bot token while looking up Nordix (401 Bad credentials): set a valid token with `prow-ops secrets set githubToken`; previewing the github layer needs it.");
    expect(exitCodeOf(err as never)).toBe(2);
  });

  test("GIVEN GitHub unreachable THEN it says so and that the preview of the github layer needs the network", () => {
    const err = diagnose("error: failed to lookup organization metal3-io: Get \"https://api.github.com/orgs/metal3-io\": dial tcp: lookup api.github.com on 127.0.0.53:53: no such host", c);
    expect(err?.message).toMatch(/^GitHub \(api\.github\.com\) cannot be reached to look up metal3-io: previewing the github layer needs network access/);
  });

  test("GIVEN only the lookup failure THEN both causes are named", () => {
    expect(diagnose("error: failed to lookup organization metal3-io", c)?.message).toMatch(/lookup of metal3-io: check that the bot token \(githubToken\) is valid .* api\.github\.com is reachable/);
  });

  test("GIVEN a locked stack THEN who holds it since when, and the command that breaks a crashed run's lock (exit 3)", () => {
    const text =
      "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n  s3://prow-state/.pulumi/locks/organization/prow-ops/prow/5f1c.json: created by alice@laptop (pid 4242) at 2026-11-30T10:00:00Z";
    const err = diagnose(text, c);
    expect(err?.message).toBe("stack prow is locked by alice@laptop (pid 4242) since 2026-11-30T10:00:00Z: another update is running. Wait for it to end; if that run crashed, break the lock with `prow-ops unlock --stack prow`.");
    expect(exitCodeOf(err as never)).toBe(3);
  });

  test("GIVEN a wrong passphrase or a missing plugin THEN what to set or install (exit 2)", () => {
    const pass = diagnose("error: getting stack configuration: get stack secrets manager: incorrect passphrase", c);
    expect(pass?.message).toMatch(/PULUMI_CONFIG_PASSPHRASE/);
    expect(exitCodeOf(pass as never)).toBe(2);
    const plugin = diagnose("error: could not load plugin for openstack provider 'default_3_15_2': no resource plugin 'pulumi-resource-openstack' found in the workspace at version v3.15.2 or on your $PATH", c);
    expect(plugin?.message).toMatch(/provider plugin openstack .*pulumi plugin install resource openstack/);
  });

  test("GIVEN the openstack provider without credentials THEN what to set", () => {
    expect(diagnose("error: One of 'auth_url' or 'cloud' must be specified", c)?.message).toMatch(/openstack\.operatorUser .* OS_CLOUD/);
  });

  test("GIVEN the program's config error THEN the validation lines come through as a config error (exit 2)", () => {
    const text = "error: Running program failed: ConfigError: invalid stack configuration in the configuration of stack prow:\n  prow-ops:cluster.workers.autoscaler.min: -1 is below the minimum 0\nFix the value(s) above and run again.\n";
    const err = diagnose(text, c);
    expect(err?.message).toContain("prow-ops:cluster.workers.autoscaler.min: -1 is below the minimum 0");
    expect(exitCodeOf(err as never)).toBe(2);
  });

  test("GIVEN an error no rule knows THEN nothing is invented and the engine's own error lines are kept", () => {
    const text = "Updating (prow):\n error: resource deployment:prow:deck failed: timed out\n error: update failed\n";
    expect(diagnose(text, c)).toBeUndefined();
    expect(engineErrorLines(text)).toEqual(["resource deployment:prow:deck failed: timed out"]);
  });
});
