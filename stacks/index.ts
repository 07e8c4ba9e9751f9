/**
 * Entry point for plain `pulumi preview` / `pulumi up` (Pulumi.yaml `main`). A user error
 * (invalid config, missing credentials) ends as the engine's RunError: its message, the
 * same the CLI prints, without a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { ProwOpsError } from "./core/errors";
import { program } from "./program";

export = program().catch((err: unknown) => {
  if (err instanceof ProwOpsError) throw new pulumi.RunError(err.message);
  throw err;
});
