/**
 * `prow-ops secrets rotate <name>`: a new value for one secret (or key pair), put everywhere it
 * goes in one up, the readers restarted, the new value proven in use, and only then the old
 * one revoked. A stop anywhere leaves both values valid (the old one is revoked last) and the
 * run resumable; the journal holds fingerprints, never a value.
 */
import { randomBytes } from "node:crypto";
import type { LayerName } from "../../config/layer-names";
import type { StackConfig } from "../../config/schema";
import { RefusedError, UsageError } from "../../stacks/core/errors";
import { SECRET_NAMES, type SecretName } from "../../stacks/core/secret-text";
import { dependentLayers, enabledLayers } from "../../stacks/layers";
import { operatorAuth } from "../../stacks/program/openstack";
import { setSecret } from "../lib/automation";
import { readSecretInput } from "../lib/confirm";
import type { Context } from "../lib/context";
import { kubeconfigLine } from "../lib/lifecycle/bootstrap-tools";
import { durationMs, parseDuration } from "../lib/lifecycle/duration";
import { pollUntil } from "../lib/lifecycle/poll";
import { type ClusterRunContext, clusterRunContext } from "../lib/lifecycle/run-context";
import { registerSecret } from "../lib/mask";
import { declareAll } from "../lib/render";
import { type Consumer, type DeclaredLayers, type RestartTarget, restartTargets, secretConsumers } from "../lib/rotation/consumers";
import { fingerprint, ROTATIONS, type Rotation } from "../lib/rotation/kinds";
import { Keystone } from "../lib/rotation/keystone";
import { describe, restart, restartedBy, rolledOut, workloadPath } from "../lib/rotation/restart";
import { githubTokenWorks, newValueWorks } from "../lib/rotation/verify";
import type { Runbook, Step } from "../lib/runbook/types";

export interface RotateOptions {
  name?: string;
  timeout?: string;
}

interface RotateContext extends ClusterRunContext {
  rotation: Rotation;
  consumers: Consumer[];
  targets: RestartTarget[];
  /** The values this process knows (stored by it, or read back from the stack); never journaled. */
  values: Partial<Record<SecretName, string>>;
}

const SOURCE = "secrets rotate";
const CLUSTER_LAYERS: readonly LayerName[] = ["capi", "cluster", "cluster-resources", "infra", "prow"];

async function stackValue(c: ClusterRunContext, name: SecretName): Promise<string | undefined> {
  if (!c.stackFile().secretsSet().includes(name)) return undefined;
  const value = (await c.opened.stack.getConfig(`prow-ops:${name}`)).value;
  registerSecret(value);
  return value;
}

const primary = (c: RotateContext) => c.rotation.group[0];

async function keystone(c: RotateContext): Promise<Keystone> {
  const config = c.config();
  const password = await stackValue(c, "openstackPassword");
  return Keystone.login(config, operatorAuth(config, password !== undefined), password);
}

/** A password Keystone refuses is never stored: the stack keeps the one that works. */
async function passwordWorks(c: RotateContext, password: string): Promise<void> {
  const config = c.config();
  try {
    await Keystone.login(config, operatorAuth(config, true), password);
  } catch (err) {
    throw new RefusedError(`Keystone refuses the new password (${(err as Error).message}): nothing was changed; change it in OpenStack first, then run again`);
  }
}

/** The new values: generated, created in Keystone, or typed by a person. */
async function newValues(c: RotateContext): Promise<Partial<Record<SecretName, string>>> {
  const name = primary(c);
  switch (c.rotation.source) {
    case "generated":
      return { [name]: randomBytes(20).toString("hex") };
    case "application-credential": {
      const o = c.config().openstack;
      const ac = await (await keystone(c)).createApplicationCredential(`${o.applicationCredentialName}-${c.runId.toLowerCase()}`, "CAPO and the OpenStack cloud provider of the Prow cluster (rotated by prow-ops)");
      return { openstackApplicationCredentialId: ac.id, openstackApplicationCredentialSecret: ac.secret };
    }
    case "ec2-credential": {
      const ec2 = await (await keystone(c)).createEc2Credential();
      return { s3AccessKey: ec2.access, s3SecretKey: ec2.secret };
    }
    case "person": {
      const multiline = name === "managementKubeconfig" || name === "workloadKubeconfig";
      const value = await readSecretInput(name, { multiline });
      // A token GitHub refuses is never stored: the old one stays everywhere.
      if (name === "githubToken" || name === "cherrypickBotToken") c.reporter.progress(await githubTokenWorks(value));
      if (name === "openstackPassword") await passwordWorks(c, value);
      return { [name]: multiline ? kubeconfigLine(value) : value };
    }
  }
}

/**
 * The layers one up must cover: every consumer's, except openstack while it still holds the
 * stack-created old credential (an up of it now would delete that before the new one is proven).
 */
function applyLayers(c: RotateContext): LayerName[] {
  const creatorKept = c.rotation.source !== "person" && c.outputs.oldSource === "stack";
  const layers = new Set(c.consumers.map((x) => x.layer).filter((l) => !(creatorKept && l === "openstack")));
  const name = primary(c);
  if (name === "managementKubeconfig" || name === "workloadKubeconfig") {
    const role = name === "managementKubeconfig" ? "management" : "workload";
    for (const spec of enabledLayers(c.config())) if (spec.cluster === role) layers.add(spec.name);
  }
  if (name === "openstackPassword" && enabledLayers(c.config()).some((s) => s.name === "openstack")) layers.add("openstack");
  return [...layers];
}

/** Whether this run already did `what` for the value it stored (journaled under that name). */
const done = (c: RotateContext, what: "applied" | "verified" | "revoked") => c.outputs.newFingerprint !== undefined && c.outputs[what] === c.outputs.newFingerprint;

const timeoutMs = (c: RotateContext) => durationMs((c.options as RotateOptions).timeout ?? "15m") as number;

async function rolloutsDone(c: RotateContext): Promise<string[]> {
  const pending: string[] = [];
  for (const t of c.targets) {
    const kube = await (t.cluster === "management" ? c.management() : c.workload());
    const o = await kube.get(workloadPath(t));
    if (o && (restartedBy(o) !== c.runId || !rolledOut(o))) pending.push(describe(t));
  }
  return pending;
}

const steps: Step<RotateContext>[] = [
  {
    id: "new-value",
    title: "Make the new value (generated, created in Keystone, or typed) and store it encrypted in the stack",
    source: SOURCE,
    check: async (c) => {
      const stored = c.outputs.newFingerprint as string | undefined;
      const value = stored ? await stackValue(c, primary(c)) : undefined;
      if (!stored || value === undefined || fingerprint(c.runId, value) !== stored) return false;
      for (const n of c.rotation.group) c.values[n] = await stackValue(c, n);
      return true;
    },
    run: async (c) => {
      const name = primary(c);
      const old = await stackValue(c, name);
      const values = await newValues(c);
      for (const [n, v] of Object.entries(values) as Array<[SecretName, string]>) {
        registerSecret(v);
        await setSecret(c.opened.stack, n, v);
        c.values[n] = v;
      }
      return {
        newFingerprint: fingerprint(c.runId, values[name] as string),
        // The old credential: found again at revocation by this fingerprint; "stack" when the stack created it.
        oldFingerprint: old === undefined ? undefined : fingerprint(c.runId, old),
        oldSource: old === undefined ? "stack" : "config",
      };
    },
    preview: async (c) => `${c.rotation.group.join(" and ")}: a new value (${c.rotation.source})`,
  },
  {
    id: "apply",
    title: "Put the new value into every consumer in one up (the plan lists them)",
    source: SOURCE,
    check: async (c) => done(c, "applied"),
    run: async (c) => {
      const layers = applyLayers(c);
      if (layers.length) await c.up(layers);
      return { applied: c.outputs.newFingerprint, appliedLayers: layers };
    },
    preview: async (c) => `up --target ${applyLayers(c).join(" ") || "(none)"}: ${c.consumers.map((x) => x.what).join(", ") || "no declared consumer"}`,
  },
  {
    id: "restart",
    title: "Restart the workloads that read the changed Secrets at start, and wait for their roll",
    source: SOURCE,
    check: async (c) => (await rolloutsDone(c)).length === 0,
    run: async (c) => {
      for (const t of c.targets) {
        const kube = await (t.cluster === "management" ? c.management() : c.workload());
        const o = await kube.get(workloadPath(t));
        if (o && restartedBy(o) !== c.runId) {
          await restart(kube, t, c.runId);
          c.reporter.progress(`restarted ${describe(t)}`);
        }
      }
      await pollUntil(() => rolloutsDone(c), {
        done: (pending) => pending.length === 0,
        timeoutMs: timeoutMs(c),
        signal: c.signal,
        intervalMs: 1000,
        cancelled: "stopped waiting for the restarted workloads (interrupted)",
        timedOut: (pending) => `not rolled out within ${(c.options as RotateOptions).timeout ?? "15m"}: ${pending.join(", ")} (kubectl rollout status shows why)`,
        progress: (pending) => `waiting for ${pending.join(", ")}`,
        report: (line) => c.reporter.progress(line),
      });
      return { restarted: c.targets.map(describe) };
    },
    preview: async (c) => (c.targets.length ? `restart ${c.targets.map(describe).join(", ")}` : "no workload reads it from a Secret"),
  },
  {
    id: "verify",
    title: "Prove the new value is in use: every consumer Secret holds it, and it authenticates where it can be tried",
    source: SOURCE,
    check: async (c) => done(c, "verified"),
    run: async (c) => {
      const proof = await newValueWorks(c);
      for (const line of proof) c.reporter.progress(line);
      return { verified: c.outputs.newFingerprint };
    },
  },
  {
    id: "revoke-old",
    title: "Revoke the old value, now that the new one is in use",
    source: SOURCE,
    destructive: true,
    // A generated value has nothing left to revoke, a person's token is revoked by that person (verify said how).
    check: async (c) => done(c, "revoked") || c.rotation.source === "generated" || c.rotation.source === "person",
    run: async (c) => {
      const message = await revokeOld(c);
      c.reporter.info(message);
      return { revoked: c.outputs.newFingerprint, revocation: message };
    },
    preview: async (c) => c.rotation.revoke,
  },
];

async function revokeOld(c: RotateContext): Promise<string> {
  const source = c.rotation.source;
  if (c.outputs.oldSource === "stack") {
    // The stack created the old one: the creator is no longer declared (the config sets the value), so this up deletes it.
    // The later layers' components depend on the old credential in the state: targeted too, or its delete is skipped.
    if (enabledLayers(c.config()).some((s) => s.name === "openstack")) await c.up(["openstack"], { components: dependentLayers(c.config(), "openstack") });
    return `the old ${source} the stack had created is deleted by the openstack layer's up`;
  }
  const ks = await keystone(c);
  const old = c.outputs.oldFingerprint as string;
  if (source === "application-credential") {
    const id = (await ks.applicationCredentialIds()).find((x) => fingerprint(c.runId, x) === old);
    if (id) await ks.deleteApplicationCredential(id);
    return id ? "the old application credential is deleted in Keystone" : "the old application credential was already gone from Keystone";
  }
  const access = (await ks.ec2AccessKeys()).find((x) => fingerprint(c.runId, x) === old);
  if (access) await ks.deleteEc2Credential(access);
  return access ? "the old EC2 credential is deleted in Keystone" : "the old EC2 credential was already gone from Keystone";
}

export function secretName(text: string | undefined): SecretName {
  if (!text) throw new UsageError(`name the secret to rotate: prow-ops secrets rotate <name> (one of ${SECRET_NAMES.join(", ")})`);
  if (!(SECRET_NAMES as readonly string[]).includes(text)) throw new UsageError(`${JSON.stringify(text)} is not a secret of this stack (expected one of ${SECRET_NAMES.join(", ")})`);
  return text as SecretName;
}

/** Every object a rotation of `name` changes, and the workloads it restarts, from the stack's declarations. */
export async function rotationPlan(config: StackConfig, name: SecretName): Promise<{ rotation: Rotation; layers: DeclaredLayers; consumers: Consumer[]; targets: RestartTarget[] }> {
  const rotation = ROTATIONS[name];
  const layers = await declareAll(config, {}, enabledLayers(config));
  const consumers = secretConsumers(layers, rotation.group);
  return { rotation, layers, consumers, targets: restartTargets(layers, consumers) };
}

export function planText(p: Awaited<ReturnType<typeof rotationPlan>>): string {
  return [
    `rotates ${p.rotation.group.join(" and ")} (${p.rotation.source}); changes:`,
    ...(p.consumers.length ? p.consumers.map((x) => `  ${x.layer}: ${x.what}`) : ["  no declared object (the providers that use it are re-applied)"]),
    `restarts: ${p.targets.length ? p.targets.map(describe).join(", ") : "nothing"}`,
    `revokes: ${p.rotation.revoke}`,
  ].join("\n");
}

export async function secretsRotate(cli: Context, o: RotateOptions, mode: { plan?: boolean; resume?: boolean }): Promise<Runbook<RotateContext>> {
  parseDuration("--timeout", o.timeout ?? "15m");
  if (!mode.resume && o.name !== undefined) secretName(o.name);
  if (mode.plan && o.name) {
    const { StackFile } = await import("../lib/stack-file");
    cli.reporter.info(planText(await rotationPlan(StackFile.load(cli.stackFile).config(), secretName(o.name))));
  }
  return {
    name: "secrets-rotate",
    command: "secrets rotate",
    title: "Rotate a secret",
    steps,
    tools: [],
    confirmationWord: async (c) => (c as RotateContext).config().cluster.name,
    context: async (base) => {
      const name = secretName(base.options.name as string | undefined);
      const c = await clusterRunContext(cli, base, { layers: [...CLUSTER_LAYERS] });
      const plan = await rotationPlan(c.config(), name);
      if (plan.rotation.source !== "person" && !plan.consumers.length) throw new RefusedError(`${name} reaches no object of this stack's layers: nothing to rotate`);
      if (!base.dryRun) base.reporter.info(planText(plan));
      return { ...c, rotation: plan.rotation, consumers: plan.consumers, targets: plan.targets, values: {} };
    },
    managementCluster: (c) => c.management(),
    close: (c) => c.release(),
  };
}
