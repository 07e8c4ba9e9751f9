/** Errors a user can act on: each message says what to do. Only the CLI entry turns them into exit codes. */
export class ProwOpsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid stack configuration (exit 2). */
export class ConfigError extends ProwOpsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONFIG", message, options);
  }
}

export class ManifestError extends ProwOpsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MANIFEST", message, options);
  }
}

/** Bad arguments (exit 2). */
export class UsageError extends ProwOpsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("USAGE", message, options);
  }
}

/** Something this machine lacks: a tool, a plugin, a passphrase, a reachable backend (exit 2). */
export class SetupError extends ProwOpsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("SETUP", message, options);
  }
}

/** Refused: a lock is held, confirmation declined, a precondition not met (exit 3). */
export class RefusedError extends ProwOpsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("REFUSED", message, options);
  }
}

/** Changes or drift where none were expected (exit 4). */
export class DriftError extends ProwOpsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("DRIFT", message, options);
  }
}
