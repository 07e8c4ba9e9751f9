/**
 * The one setMocks helper: runs the Pulumi program under Pulumi's mock runtime and records
 * every registered resource and every log line.
 */
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider?: string;
  /** Outputs registered as secret: the SDK's own (schema) and the program's additionalSecretOutputs, as the engine receives them. */
  secretOutputs: string[];
}

export interface MockRun {
  resources: Registered[];
  outputs: Record<string, unknown>;
  logs: string[];
}

/** Resolves an Output to its value and whether it is secret (mocks keep secretness). */
export async function unwrap<T>(o: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  // biome-ignore lint/suspicious/noExplicitAny: reaching the Output's internals is the documented way in tests
  const internal = o as any;
  return { value: await internal.promise(), secret: await internal.isSecret };
}

/**
 * Stack config as `pulumi config` would hold it: objects as JSON strings; `secrets` become
 * secret config keys.
 */
export async function runProgram(
  config: Record<string, unknown>,
  secrets: Record<string, string>,
  program: () => Promise<Record<string, unknown>>,
  /** Receives the registrations as they happen (also when the program fails). */
  resources: Registered[] = [],
): Promise<MockRun> {
  const logs: string[] = [];
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) flat[`prow-ops:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  for (const [k, v] of Object.entries(secrets)) flat[`prow-ops:${k}`] = v;
  pulumi.runtime.setAllConfig(flat, Object.keys(secrets).map((k) => `prow-ops:${k}`));
  const secretOutputs = new Map<string, string[]>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider, secretOutputs: secretOutputs.get(`${args.type}::${args.name}`) ?? [] });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "openstack:identity/applicationCredential:ApplicationCredential") state.secret = "created-app-credential-secret";
        if (args.type === "openstack:identity/ec2CredentialV3:Ec2CredentialV3") Object.assign(state, { access: "created-access", secret: "created-secret" });
        if (args.type === "random:index/randomBytes:RandomBytes") Object.assign(state, { hex: "created-hmac-hex", base64: "created-hmac-base64" });
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    "prow-ops",
    "test",
    true,
  );
  recordSecretOutputs(secretOutputs);
  const originalLog = { info: pulumi.log.info, warn: pulumi.log.warn, error: pulumi.log.error, debug: pulumi.log.debug };
  // Debug lines are the SDK echoing mock responses (plain values by construction of the mock);
  // users see info, warn and error.
  for (const level of ["info", "warn", "error"] as const) {
    pulumi.log[level] = async (msg: string) => {
      logs.push(msg);
    };
  }
  try {
    const outputs = await program();
    // Let every registration settle.
    await new Promise((r) => setTimeout(r, 50));
    return { resources, outputs, logs };
  } finally {
    Object.assign(pulumi.log, originalLog);
  }
}

/**
 * The mock monitor drops a registration's additionalSecretOutputs (only the engine applies
 * them); record them from each request, keyed by type and name, before the mocks see it.
 */
function recordSecretOutputs(into: Map<string, string[]>): void {
  // biome-ignore lint/suspicious/noExplicitAny: the mock monitor's request is a protobuf message
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  // biome-ignore lint/suspicious/noExplicitAny: see above
  monitor.registerResource = (req: any, callback: unknown) => {
    into.set(`${req.getType()}::${req.getName()}`, req.getAdditionalsecretoutputsList());
    return register(req, callback);
  };
}

/** Pulumi's wire marker for a secret value (what mocks receive for secret inputs). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

export const isSecretValue = (v: unknown): boolean => v !== null && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;

/** The plain value with every secret marker removed. */
export function reveal(v: unknown): unknown {
  if (isSecretValue(v)) return reveal((v as { value: unknown }).value);
  if (Array.isArray(v)) return v.map(reveal);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  return v;
}
