/** The exit codes of every prow-ops command (also in the README and in `prow-ops --help`). */
import type { ProwOpsError } from "../../stacks/core/errors";

export const EXIT = { done: 0, failed: 1, usage: 2, refused: 3, drift: 4 } as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  failed
  2  bad usage or invalid configuration (nothing was changed)
  3  refused: confirmation declined, lock held, precondition not met
  4  changes or drift found where none were expected`;

/** Error codes (ProwOpsError.code) by exit code; anything else is a failure (1). */
const BY_CODE: Record<string, number> = {
  CONFIG: EXIT.usage,
  USAGE: EXIT.usage,
  SETUP: EXIT.usage,
  REFUSED: EXIT.refused,
  LOCKED: EXIT.refused,
  DRIFT: EXIT.drift,
};

export const exitCodeOf = (err: ProwOpsError): number => BY_CODE[err.code] ?? EXIT.failed;
