/**
 * The few Keystone v3 calls a credential rotation needs, in-process (no credential ever on a
 * command line): log in as the operator, create / list / delete the user's application
 * credentials and EC2 credentials, and prove an application credential authenticates.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { load } from "js-yaml";
import type { StackConfig } from "../../../config/schema";
import { SetupError } from "../../../stacks/core/errors";
import type { OperatorAuth } from "../../../stacks/program/openstack";

interface Login {
  authUrl: string;
  body: unknown;
}

const v3 = (authUrl: string) => `${authUrl.replace(/\/+$/, "").replace(/\/v3$/, "")}/v3`;

async function call(url: string, init: RequestInit & { token?: string }, what: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...(init.token ? { "x-auth-token": init.token } : {}) }, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new SetupError(`Keystone ${url} not reachable for ${what} (${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message})`);
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = {};
  }
  return { status: res.status, body, headers: res.headers };
}

const failed = (what: string, r: { status: number; body: Record<string, unknown> }) =>
  new SetupError(`Keystone refused to ${what}: ${r.status} ${((r.body.error as { message?: string } | undefined)?.message ?? "").trim()}`);

/** The operator's cloud entry of clouds.yaml (the places the openstack CLI looks). */
function cloudEntry(cloud: string, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const files = [env.OS_CLIENT_CONFIG_FILE, "clouds.yaml", join(homedir(), ".config", "openstack", "clouds.yaml"), "/etc/openstack/clouds.yaml"].filter((f): f is string => Boolean(f));
  for (const f of files) {
    if (!existsSync(f)) continue;
    const entry = (load(readFileSync(f, "utf8")) as { clouds?: Record<string, Record<string, unknown>> } | undefined)?.clouds?.[cloud];
    if (entry) return entry;
  }
  throw new SetupError(`cloud ${cloud} is in no clouds.yaml (${files.join(", ")}): add it, or use prow-ops:openstack.operatorUser with the secret openstackPassword`);
}

function operatorLogin(c: StackConfig, auth: OperatorAuth, password: string | undefined, env: NodeJS.ProcessEnv): Login {
  const o = c.openstack;
  const scope = { project: { id: o.projectId } };
  if (auth.kind === "password") {
    if (!password) throw new SetupError("the secret openstackPassword is not set: prow-ops secrets set openstackPassword");
    return { authUrl: o.authUrl, body: { auth: { identity: { methods: ["password"], password: { user: { name: auth.user, domain: { name: o.userDomainName }, password } } }, scope } } };
  }
  const entry = cloudEntry(auth.cloud, env);
  const a = (entry.auth ?? {}) as Record<string, string>;
  const authUrl = a.auth_url ?? o.authUrl;
  if (a.application_credential_id && a.application_credential_secret) {
    return { authUrl, body: { auth: { identity: { methods: ["application_credential"], application_credential: { id: a.application_credential_id, secret: a.application_credential_secret } } } } };
  }
  const user = { name: a.username, domain: { name: a.user_domain_name ?? o.userDomainName }, password: a.password };
  return { authUrl, body: { auth: { identity: { methods: ["password"], password: { user } }, scope: a.project_id ? { project: { id: a.project_id } } : scope } } };
}

export interface Ec2Credential {
  access: string;
  secret: string;
}

export class Keystone {
  private constructor(
    private readonly api: string,
    private readonly token: string,
    readonly userId: string,
    readonly projectId: string,
  ) {}

  static async login(c: StackConfig, auth: OperatorAuth, password: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Keystone> {
    const login = operatorLogin(c, auth, password, env);
    const r = await call(`${v3(login.authUrl)}/auth/tokens`, { method: "POST", body: JSON.stringify(login.body) }, "the operator's login");
    const token = r.headers.get("x-subject-token");
    if (r.status !== 201 || !token) throw failed("log the operator in", r);
    const t = r.body.token as { user?: { id?: string }; project?: { id?: string } };
    return new Keystone(v3(login.authUrl), token, t.user?.id ?? "", t.project?.id ?? c.openstack.projectId);
  }

  /** True when Keystone issues a token for this application credential. */
  static async applicationCredentialWorks(authUrl: string, id: string, secret: string): Promise<boolean> {
    const body = { auth: { identity: { methods: ["application_credential"], application_credential: { id, secret } } } };
    return (await call(`${v3(authUrl)}/auth/tokens`, { method: "POST", body: JSON.stringify(body) }, "the new application credential")).status === 201;
  }

  private user = (path: string) => `${this.api}/users/${this.userId}${path}`;

  async createApplicationCredential(name: string, description: string): Promise<{ id: string; secret: string }> {
    const r = await call(this.user("/application_credentials"), { method: "POST", token: this.token, body: JSON.stringify({ application_credential: { name, description } }) }, "an application credential");
    if (r.status !== 201) throw failed(`create application credential ${name}`, r);
    const ac = r.body.application_credential as { id: string; secret: string };
    return { id: ac.id, secret: ac.secret };
  }

  async applicationCredentialIds(): Promise<string[]> {
    return (await this.list<{ id: string }>("/application_credentials", "application_credentials")).map((x) => x.id);
  }

  async deleteApplicationCredential(id: string): Promise<void> {
    await this.remove(`/application_credentials/${id}`, "an application credential");
  }

  async createEc2Credential(): Promise<Ec2Credential> {
    const r = await call(this.user("/credentials/OS-EC2"), { method: "POST", token: this.token, body: JSON.stringify({ tenant_id: this.projectId }) }, "an EC2 credential");
    if (r.status !== 201) throw failed("create an EC2 credential", r);
    const cred = r.body.credential as Ec2Credential;
    return { access: cred.access, secret: cred.secret };
  }

  async ec2AccessKeys(): Promise<string[]> {
    return (await this.list<{ access: string }>("/credentials/OS-EC2", "credentials")).map((x) => x.access);
  }

  async deleteEc2Credential(access: string): Promise<void> {
    await this.remove(`/credentials/OS-EC2/${access}`, "an EC2 credential");
  }

  /** One of the user's collections (its items under `key`). */
  private async list<T>(path: string, key: string): Promise<T[]> {
    const r = await call(this.user(path), { method: "GET", token: this.token }, `the user's ${key}`);
    if (r.status !== 200) throw failed(`list the user's ${key}`, r);
    return r.body[key] as T[];
  }

  /** Deletes one of the user's credentials; one already gone is fine. */
  private async remove(path: string, what: string): Promise<void> {
    const r = await call(this.user(path), { method: "DELETE", token: this.token }, what);
    if (r.status !== 204 && r.status !== 404) throw failed(`delete ${what}`, r);
  }
}
