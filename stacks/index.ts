/** Entry point for plain `pulumi preview` / `pulumi up` (Pulumi.yaml `main`). */
import { program } from "./program";

export = program();
