import * as github from "@pulumi/github";
import type { StackConfig } from "../../config/schema";
import type { Secrets } from "./secrets";

/**
 * One GitHub provider per owner (org-level hooks for orgs, repo-level hooks for single repos),
 * keyed `github:<owner>` as the declarations' providerKey. The provider looks each owner up
 * while previewing: every preview of this layer needs GitHub reachable and a valid token.
 */
export function githubProviders(c: StackConfig, secrets: Secrets): Record<string, github.Provider> {
  const owners = [...new Set([...c.prow.orgs, ...c.prow.repos.map((r) => r.split("/")[0])])];
  return Object.fromEntries(owners.map((owner) => [`github:${owner}`, new github.Provider(`github-${owner}`, { owner, token: secrets.get("githubToken") })]));
}
