/**
 * The openstack layer's explicit provider, configured from the stack: its auth URL, region,
 * project and domain come from `prow-ops:openstack`; the operator's own credentials from the
 * secret openstackPassword (with operatorUser), or from a cloud of the operator's clouds.yaml.
 * Nothing falls back to whatever OS_* variables happen to be set.
 */
import type * as openstack from "@pulumi/openstack";
import type * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../config/load";
import type { StackConfig } from "../../config/schema";
import { ConfigError } from "../core/errors";
import type { Secrets } from "./secrets";

export type OperatorAuth = { kind: "password"; user: string } | { kind: "cloud"; cloud: string };

/**
 * Which credentials the provider uses. Throws before any resource is declared when none are
 * configured, naming what to set.
 */
export function operatorAuth(c: StackConfig, hasPassword: boolean, env: NodeJS.ProcessEnv = process.env): OperatorAuth {
  const o = c.openstack;
  if (hasPassword) {
    if (!o.operatorUser) {
      throw new ConfigError(`the secret ${PROJECT}:openstackPassword is set but not the user it belongs to: set ${PROJECT}:openstack.operatorUser (prow-ops config set openstack.operatorUser <name>).`);
    }
    return { kind: "password", user: o.operatorUser };
  }
  const cloud = o.operatorCloud ?? env.OS_CLOUD;
  if (cloud) return { kind: "cloud", cloud };
  throw new ConfigError(
    `the openstack layer needs your OpenStack credentials: either set ${PROJECT}:openstack.operatorUser and the secret openstackPassword (prow-ops secrets set openstackPassword), ` +
      `or name a cloud of your clouds.yaml with OS_CLOUD=<name> or ${PROJECT}:openstack.operatorCloud.`,
  );
}

export function openstackProvider(c: StackConfig, secrets: Secrets, auth: OperatorAuth, parent?: pulumi.Resource): openstack.Provider {
  const os = require("@pulumi/openstack") as typeof import("@pulumi/openstack");
  const o = c.openstack;
  const common = { authUrl: o.authUrl, region: o.region };
  const args: openstack.ProviderArgs =
    auth.kind === "password"
      ? {
          ...common,
          userName: auth.user,
          password: secrets.get("openstackPassword"),
          userDomainName: o.userDomainName,
          tenantId: o.projectId,
          tenantName: o.projectName,
          projectDomainName: o.userDomainName,
        }
      : // The cloud entry holds the credentials and scope; auth URL and region still come from the stack.
        { ...common, cloud: auth.cloud };
  return new os.Provider("openstack", args, { parent });
}
