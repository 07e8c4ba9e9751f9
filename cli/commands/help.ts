/** Help text shared by every command. Kept free of heavy imports: `prow-ops --help` loads it. */
export const examples = (lines: string[]): string => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
