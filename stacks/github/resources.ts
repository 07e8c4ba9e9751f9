/** The Prow webhook: org-level for the orgs, repo-level for single repositories. */
import type { StackConfig } from "../../config/schema";
import type { DeclaredResource } from "../core/declared";
import { secretRef } from "../core/secret-text";

export const hookUrl = (c: StackConfig) => `https://${c.prow.hostname}/hook`;

const configuration = (c: StackConfig) => ({ url: hookUrl(c), contentType: "json", insecureSsl: false, secret: secretRef("hmacToken") });

/**
 * The HMAC token Prow validates webhooks with: 20 random bytes, used as hex (as `openssl rand -hex 20`).
 * RandomBytes, not RandomId: RandomId keeps every encoding of its value in plain text in the state.
 */
export const HMAC_TOKEN = "hmac-token";
export const HMAC_TOKEN_TYPE = "random:index/randomBytes:RandomBytes";

export function githubResources(c: StackConfig): DeclaredResource[] {
  const common = { active: true, events: ["*"], configuration: configuration(c) };
  return [
    { kind: "resource", type: HMAC_TOKEN_TYPE, name: HMAC_TOKEN, inputs: { length: 20 }, dependsOn: [] },
    ...c.prow.orgs.map((org): DeclaredResource => ({
      kind: "resource",
      type: "github:index/organizationWebhook:OrganizationWebhook",
      name: `webhook-${org}`,
      inputs: common,
      dependsOn: [],
      providerKey: `github:${org}`,
    })),
    ...c.prow.repos.map((full): DeclaredResource => {
      const [owner, repository] = full.split("/");
      return { kind: "resource", type: "github:index/repositoryWebhook:RepositoryWebhook", name: `webhook-${owner}-${repository}`, inputs: { repository, ...common }, dependsOn: [], providerKey: `github:${owner}` };
    }),
  ];
}
