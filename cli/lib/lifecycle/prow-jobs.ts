/**
 * The job-aware maintenance window: which ProwJobs are queued or running, waiting for them to
 * end, and holding Prow during a roll. Holding scales prow-controller-manager (plank) and tide
 * to zero: jobs GitHub triggers meanwhile are still recorded as ProwJobs by hook and wait,
 * "triggered", without a pod, until the release starts them — none is lost and none runs on a
 * Node that is about to be drained; tide merges nothing while the jobs it would rely on wait.
 */
import { pollUntil } from "./poll";
import type { Kube, KubeObject } from "../../../stacks/core/kube-client";

export const PROWJOBS = "/apis/prow.k8s.io/v1/prowjobs";
export const HELD_DEPLOYMENTS = ["prow-controller-manager", "tide"] as const;
const HOLD_MANAGER = "prow-ops-hold";

export interface ActiveJob {
  name: string;
  job: string;
  state: string;
  /** org/repo#PR or org/repo@branch. */
  ref: string;
}

/** ProwJobs not finished: "triggered" (queued) and "pending" (running). */
export async function activeJobs(workload: Kube): Promise<ActiveJob[]> {
  const jobs = await workload.list(PROWJOBS);
  return jobs
    .filter((j) => {
      const s = (j.status ?? {}) as { state?: string; completionTime?: string };
      return !s.completionTime && (s.state === "triggered" || s.state === "pending" || s.state === undefined);
    })
    .map((j) => {
      const spec = (j.spec ?? {}) as { job?: string; refs?: { org?: string; repo?: string; base_ref?: string; pulls?: Array<{ number: number }> } };
      const r = spec.refs;
      const ref = r ? `${r.org}/${r.repo}${r.pulls?.length ? `#${r.pulls.map((p) => p.number).join(",")}` : r.base_ref ? `@${r.base_ref}` : ""}` : "(periodic)";
      return { name: j.metadata.name, job: spec.job ?? "?", state: ((j.status ?? {}) as { state?: string }).state ?? "triggered", ref };
    });
}

export const describeJobs = (jobs: ActiveJob[]) => jobs.map((j) => `  ${j.job} ${j.ref} (${j.state === "pending" ? "running" : "queued"}, ProwJob ${j.name})`).join("\n");

/** Waits until no ProwJob is queued or running, reporting when the set changes. */
export async function waitForNoJobs(workload: Kube, o: { timeoutMs: number; signal: AbortSignal; report: (text: string) => void; pollMs?: number }): Promise<void> {
  await pollUntil(() => activeJobs(workload), {
    done: (jobs) => !jobs.length,
    timeoutMs: o.timeoutMs,
    signal: o.signal,
    intervalMs: o.pollMs ?? 5000,
    cancelled: "stopped waiting for ProwJobs (interrupted)",
    timedOut: (jobs) => `ProwJobs still running after the --wait-for-jobs limit:\n${describeJobs(jobs)}\nRun again later, with a longer --wait-for-jobs, or with --force (those jobs are then killed when their Node goes).`,
    progress: (jobs) => `waiting for ${jobs.length} ProwJob(s) to finish:\n${describeJobs(jobs)}`,
    report: o.report,
  });
}

const deploymentPath = (ns: string, name: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`;
const replicasOf = (d: KubeObject | undefined) => (d?.spec as { replicas?: number } | undefined)?.replicas;

/** Scales plank and tide to zero; returns the replicas to give back (only Deployments that exist). */
export async function holdProw(workload: Kube, namespace: string): Promise<Record<string, number>> {
  const held: Record<string, number> = {};
  for (const name of HELD_DEPLOYMENTS) {
    const d = await workload.get(deploymentPath(namespace, name));
    if (!d) continue;
    // A hold killed after its scale-down and resumed finds 0 replicas: the count it scaled down from is on the Deployment.
    const recorded = (d.metadata.annotations as Record<string, string> | undefined)?.[HELD_FROM];
    held[name] = recorded !== undefined ? Number(recorded) : (replicasOf(d) ?? 1);
    await scale(workload, namespace, name, 0, held[name]);
  }
  return held;
}

export async function releaseProw(workload: Kube, namespace: string, held: Record<string, number>): Promise<void> {
  for (const [name, replicas] of Object.entries(held)) await scale(workload, namespace, name, replicas);
}

/** Whether the Deployments run with these replicas again (or are gone). */
export async function prowReleased(workload: Kube, namespace: string, held: Record<string, number>): Promise<boolean> {
  for (const [name, replicas] of Object.entries(held)) {
    const d = await workload.get(deploymentPath(namespace, name));
    if (d && replicasOf(d) !== replicas) return false;
  }
  return true;
}

export async function prowHeld(workload: Kube, namespace: string, held: Record<string, number>): Promise<boolean> {
  for (const name of Object.keys(held)) if (replicasOf(await workload.get(deploymentPath(namespace, name))) !== 0) return false;
  return true;
}

// Server-side apply of replicas alone: the stack's own field manager keeps every other field,
// and giving the value back leaves the two managers agreeing, so the next `up` sees no conflict.
/** The replicas a held Deployment had, written in the same apply that scales it to 0 (released: the annotation goes with the same field manager). */
const HELD_FROM = "prow-ops.metal3.io/held-from-replicas";
const scale = (workload: Kube, namespace: string, name: string, replicas: number, heldFrom?: number) =>
  workload.apply(
    deploymentPath(namespace, name),
    { apiVersion: "apps/v1", kind: "Deployment", metadata: { name, namespace, ...(heldFrom !== undefined ? { annotations: { [HELD_FROM]: String(heldFrom) } } : {}) }, spec: { replicas } },
    HOLD_MANAGER,
  );
