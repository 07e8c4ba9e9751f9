/**
 * Writes dist/help.txt: the top-level help exactly as commander renders it (80 columns). The
 * entry script prints it for a bare `prow-ops --help` without loading the CLI at all, so the
 * command users type most stays as fast as node's own start-up. Run by `npm run build`.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildProgram } from "./main";

export function renderTopHelp(): string {
  const parts: string[] = [];
  const program = buildProgram();
  program.configureOutput({ writeOut: (s) => parts.push(s), getOutHelpWidth: () => 80, getOutHasColors: () => false });
  program.outputHelp();
  return parts.join("");
}

if (require.main === module) writeFileSync(join(__dirname, "..", "help.txt"), renderTopHelp());
