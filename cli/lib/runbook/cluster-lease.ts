/**
 * The runbook lock, visible in the management cluster once one exists: a
 * coordination.k8s.io/v1 Lease (`kubectl get lease -n default`) naming the run that holds it,
 * renewed while the run lives. Taking it is a create; taking over an expired one (its holder
 * crashed and stopped renewing) is a replace guarded by the resourceVersion read, so two
 * maintainers racing for it cannot both win. A holder the caller proves dead (a run of the same
 * team, whose lock the caller now holds) is taken over at once instead of after the expiry.
 */
import { RefusedError } from "../../../stacks/core/errors";
import type { Kube, KubeObject } from "../../../stacks/core/kube-client";

export const LEASE_NAMESPACE = "default";
export const leaseName = (stack: string) => `prow-ops-runbook-${stack}`;
const LEASES = `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`;

export interface LeaseOptions {
  /** How long a holder that stopped renewing keeps the lease. */
  durationSeconds?: number;
  now?: () => Date;
  /** Whether the holder named by this identity cannot be running any more. */
  deadHolder?: (holderIdentity: string) => Promise<boolean>;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
const microTime = (d: Date) => d.toISOString().replace(/Z$/, "000Z");

function expired(spec: LeaseSpec, now: Date): boolean {
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? "");
  return Number.isNaN(renewed) || renewed + (spec.leaseDurationSeconds ?? 0) * 1000 < now.getTime();
}

/**
 * Takes the stack's runbook Lease for `holder` ("<runbook> run <id> of <user>@<host>"), renews
 * it every third of its duration, and returns its release. Refused (exit 3) while another
 * run holds it.
 */
export async function acquireLease(kube: Kube, stack: string, holder: string, o: LeaseOptions = {}): Promise<{ release: () => Promise<void>; tookOverFrom?: string }> {
  const now = o.now ?? (() => new Date());
  const durationSeconds = o.durationSeconds ?? 60;
  const name = leaseName(stack);
  const spec = (): LeaseSpec => ({ holderIdentity: holder, leaseDurationSeconds: durationSeconds, acquireTime: microTime(now()), renewTime: microTime(now()) });
  const body = (resourceVersion?: string, s: LeaseSpec = spec()): KubeObject => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace: LEASE_NAMESPACE, labels: { "app.kubernetes.io/managed-by": "prow-ops" }, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: s as Record<string, unknown>,
  });

  let tookOverFrom: string | undefined;
  let current = await kube.write("POST", LEASES, body());
  if (!current) {
    const existing = await kube.get(`${LEASES}/${name}`);
    const held = (existing?.spec ?? {}) as LeaseSpec;
    // The same run resumed (its holder names the run id; the team lock already found its process gone) takes it back.
    const dead = existing && held.holderIdentity && held.holderIdentity !== holder && o.deadHolder ? await o.deadHolder(held.holderIdentity) : false;
    if (dead) tookOverFrom = held.holderIdentity;
    if (existing && !expired(held, now()) && held.holderIdentity !== holder && !dead) {
      throw new RefusedError(
        `stack ${stack} is locked in the management cluster by ${held.holderIdentity ?? "?"} (Lease ${LEASE_NAMESPACE}/${name}, renewed ${held.renewTime ?? "?"}). Wait for that run to end; if it crashed, the lease expires ${held.leaseDurationSeconds ?? "?"} s after its last renewal.`,
      );
    }
    current = existing ? await kube.write("PUT", `${LEASES}/${name}`, body((existing.metadata as { resourceVersion?: string }).resourceVersion)) : await kube.write("POST", LEASES, body());
    if (!current) throw new RefusedError(`stack ${stack}: another run took the management cluster's Lease ${LEASE_NAMESPACE}/${name} at the same moment; try again`);
  }

  let held = current;
  let renewing = Promise.resolve();
  const timer = setInterval(
    () => {
      renewing = (async () => {
        const s = { ...(held.spec as LeaseSpec), renewTime: microTime(now()) };
        held = (await kube.write("PUT", `${LEASES}/${name}`, body((held.metadata as { resourceVersion?: string }).resourceVersion, s)).catch(() => undefined)) ?? held;
      })();
    },
    (durationSeconds * 1000) / 3,
  );
  timer.unref();
  const release = async () => {
    clearInterval(timer);
    await renewing;
    const latest = await kube.get(`${LEASES}/${name}`);
    if ((latest?.spec as LeaseSpec | undefined)?.holderIdentity === holder) await kube.remove(`${LEASES}/${name}`);
  };
  return { release, tookOverFrom };
}
