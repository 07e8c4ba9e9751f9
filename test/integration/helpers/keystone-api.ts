/**
 * A local stand-in for Keystone v3, answering as its API reference documents the calls a
 * rotation makes: password and application-credential tokens, a user's application
 * credentials and EC2 credentials (create, list, delete). EC2 credentials it creates are
 * made S3 users of the test's versitygw, as radosgw accepts Keystone's EC2 credentials.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface KeystoneApi {
  url: string;
  userId: string;
  applicationCredentials: Map<string, { name: string; secret: string }>;
  ec2: Map<string, string>;
  /** The operator's password (changed as a person would in OpenStack). */
  password: string;
  /** Set to false to make Keystone refuse application-credential logins (a failure to resume from). */
  acceptApplicationCredentials: boolean;
  close(): Promise<void>;
}

export async function startKeystone(o: { user: string; password: string; projectId: string; onEc2Created?: (access: string, secret: string) => Promise<void> }): Promise<KeystoneApi> {
  const userId = "5ae0e7a8b4e24bb6a1c8f1d3f0d0c0de";
  const state: Omit<KeystoneApi, "url" | "close"> = { userId, password: o.password, applicationCredentials: new Map(), ec2: new Map(), acceptApplicationCredentials: true };
  const tokens = new Set<string>();
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => {
      raw += d;
    });
    req.on("end", async () => {
      const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(body === undefined ? "" : JSON.stringify(body));
      };
      const unauthorized = () => send(401, { error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." } });
      const path = (req.url ?? "").replace(/\/+$/, "");
      const body = raw ? JSON.parse(raw) : {};
      if (req.method === "POST" && path === "/v3/auth/tokens") {
        const identity = body.auth?.identity ?? {};
        const method = identity.methods?.[0];
        const ok =
          method === "password"
            ? identity.password?.user?.name === o.user && identity.password?.user?.password === state.password
            : method === "application_credential" && state.acceptApplicationCredentials && state.applicationCredentials.get(identity.application_credential?.id)?.secret === identity.application_credential?.secret;
        if (!ok) return unauthorized();
        const token = randomBytes(16).toString("hex");
        tokens.add(token);
        return send(201, { token: { methods: [method], user: { id: userId, name: o.user, domain: { id: "default", name: "xerces" } }, project: { id: o.projectId }, expires_at: new Date(Date.now() + 3600_000).toISOString() } }, { "x-subject-token": token });
      }
      if (!tokens.has(String(req.headers["x-auth-token"]))) return unauthorized();
      const base = `/v3/users/${userId}`;
      if (path === `${base}/application_credentials`) {
        if (req.method === "GET") return send(200, { application_credentials: [...state.applicationCredentials].map(([id, a]) => ({ id, name: a.name, user_id: userId, project_id: o.projectId })) });
        if (req.method === "POST") {
          const id = randomBytes(16).toString("hex");
          const secret = randomBytes(24).toString("base64url");
          const name = body.application_credential?.name;
          if ([...state.applicationCredentials.values()].some((a) => a.name === name)) return send(409, { error: { code: 409, title: "Conflict", message: `Duplicate entry found with name ${name}.` } });
          state.applicationCredentials.set(id, { name, secret });
          return send(201, { application_credential: { id, name, secret, user_id: userId, project_id: o.projectId, unrestricted: false } });
        }
      }
      const ac = new RegExp(`^${base}/application_credentials/([0-9a-f]+)$`).exec(path);
      if (ac && req.method === "DELETE") return send(state.applicationCredentials.delete(ac[1]) ? 204 : 404);
      if (path === `${base}/credentials/OS-EC2`) {
        if (req.method === "GET") return send(200, { credentials: [...state.ec2].map(([access, secret]) => ({ access, secret, user_id: userId, tenant_id: o.projectId, trust_id: null })) });
        if (req.method === "POST") {
          const access = randomBytes(16).toString("hex");
          const secret = randomBytes(16).toString("hex");
          const made = await o.onEc2Created?.(access, secret).then(() => undefined, (err: Error) => err.message);
          if (made) return send(500, { error: { code: 500, title: "Internal Server Error", message: made } });
          state.ec2.set(access, secret);
          return send(201, { credential: { access, secret, user_id: userId, tenant_id: body.tenant_id, trust_id: null } });
        }
      }
      const ec2 = new RegExp(`^${base}/credentials/OS-EC2/([0-9A-Za-z-]+)$`).exec(path);
      if (ec2 && req.method === "DELETE") return send(state.ec2.delete(ec2[1]) ? 204 : 404);
      return send(404, { error: { code: 404, title: "Not Found", message: `Could not find ${path}.` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}
