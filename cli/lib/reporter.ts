/**
 * The one way commands and runbooks speak. Progress and messages go to stderr; what a
 * command was asked for (a table, a value, a summary) goes to stdout — as JSON with --json,
 * so stdout stays machine-readable.
 */
import { styleText } from "node:util";

export interface Reporter {
  readonly json: boolean;
  /** Where progress goes (stderr): live views write to it directly. */
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  info(message: string): void;
  warn(message: string): void;
  /** A line of progress (a resource being created, a step done). */
  progress(message: string): void;
  /** The command's result: `value` as JSON with --json, otherwise `human` on stdout. */
  result(value: unknown, human: string): void;
  /** A machine-readable event: one JSON line on stdout with --json; nothing otherwise. */
  event(value: Record<string, unknown>): void;
  style(format: Parameters<typeof styleText>[0], text: string): string;
}

export interface ReporterOptions {
  json: boolean;
  color: boolean;
  verbose: boolean;
}

export function createReporter(o: ReporterOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr): Reporter {
  const style = (format: Parameters<typeof styleText>[0], text: string) => (o.color ? styleText(format, text) : text);
  const line = (text: string) => err.write(`${text}\n`);
  // After JSON-lines events, the result is one more line; alone, it is one pretty document.
  let eventsWritten = false;
  return {
    json: o.json,
    stream: err,
    style,
    info: (m) => line(m),
    warn: (m) => line(style("yellow", `warning: ${m}`)),
    progress: (m) => line(style("dim", m)),
    result: (value, human) => out.write(o.json ? `${JSON.stringify(value, null, eventsWritten ? undefined : 2)}\n` : human.endsWith("\n") || human === "" ? human : `${human}\n`),
    event: (value) => {
      if (!o.json) return;
      eventsWritten = true;
      out.write(`${JSON.stringify({ time: new Date().toISOString(), ...value })}\n`);
    },
  };
}
