/** Help as users see it: the fast path of a bare --help matches the CLI's own, and every command has a runnable example. */
import type { Command } from "commander";
import { buildProgram } from "../../../cli/main";
import { runCli } from "../../helpers/cli";

const leaves = (c: Command): Command[] => (c.commands.length ? c.commands.flatMap(leaves) : [c]);
const fullName = (c: Command): string => (c.parent ? `${fullName(c.parent)} ${c.name()}` : c.name());

describe("prow-ops help", () => {
  test("GIVEN a bare --help (served from dist/help.txt) THEN it is exactly the CLI's own help, with the exit codes", () => {
    const fast = runCli(["--help"]);
    const slow = runCli(["help"]);
    expect(fast.code).toBe(0);
    expect(fast.stdout).toBe(slow.stdout);
    expect(fast.stdout).toContain("4  changes or drift found where none were expected");
  });

  test("THEN every command's help has a runnable example", () => {
    const missing = leaves(buildProgram())
      .filter((c) => c.name() !== "help" && !(c as unknown as { _hidden: boolean })._hidden)
      .filter((c) => {
        const help = runCli([...fullName(c).split(" ").slice(1), "--help"]).stdout;
        return !/Examples:\n {2}\$ prow-ops /.test(help);
      })
      .map(fullName);
    expect(missing).toEqual([]);
  });

  test("GIVEN --version THEN the package version", () => {
    expect(runCli(["--version"]).stdout.trim()).toBe(require("../../../package.json").version);
  });

  test.each([
    [["render", "--outt", "x"], /unknown option '--outt'/],
    [["nosuchcommand"], /unknown command 'nosuchcommand'/],
    [["preview", "--target"], /argument missing/],
  ])("GIVEN %j THEN exit 2 naming what is wrong", (args, message) => {
    const res = runCli(args as string[]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });
});
