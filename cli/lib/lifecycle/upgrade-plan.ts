/**
 * What an upgrade changes, decided once at its start (and journaled, so a resumed run keeps
 * it): the version step allowed, the image, the new OpenStackMachineTemplates named after the
 * version (flavor and disk copied from the template each role used), and the placement the
 * KubeadmControlPlane and MachineDeployments are switched to.
 */
import semver from "semver";
import type { StackConfig } from "../../../config/schema";
import { RefusedError, UsageError } from "../../../stacks/core/errors";
import type { Placement } from "./cluster-state";

export type MachineTemplate = StackConfig["cluster"]["machineTemplates"][number];

export interface UpgradePlan {
  from: Placement;
  to: Placement;
  image: string;
  /** Templates to add to the stack (none when the wanted ones exist). */
  newTemplates: MachineTemplate[];
}

const VERSION = /^v\d+\.\d+\.\d+$/;

export function parseVersion(option: string, v: string): string {
  if (!VERSION.test(v)) throw new UsageError(`${option} ${JSON.stringify(v)} is not a Kubernetes version (expected vMAJOR.MINOR.PATCH such as v1.31.4)`);
  return v;
}

/** Kubernetes (and kubeadm) upgrade one minor at a time and never down. */
export function checkVersionStep(from: string, to: string): void {
  const a = semver.parse(from.slice(1));
  const b = semver.parse(to.slice(1));
  if (!a || !b) throw new UsageError(`cannot compare versions ${from} and ${to}`);
  if (semver.lt(b, a)) throw new RefusedError(`${to} is older than the cluster's ${from}: Kubernetes is never downgraded (to go back after an upgrade, use --rollback while the previous templates are kept)`);
  if (b.major !== a.major || b.minor > a.minor + 1) {
    throw new RefusedError(`${from} → ${to} skips a minor version: kubeadm upgrades one minor at a time; upgrade to v${a.major}.${a.minor + 1}.x first`);
  }
}

/** The image name image-builder gives a node image of this version (the reference's naming). */
export const defaultImageName = (version: string) => `ubuntu-2204-kube-${version}`;

const dashed = (version: string) => version.replace(/\./g, "-");

/** The template's name with the version in it replaced (prow-worker-v1-30-6-est → prow-worker-v1-31-4-est), or the version appended. */
export function templateNameFor(old: string, version: string, taken: ReadonlySet<string>): string {
  const renamed = /v\d+-\d+-\d+/.test(old) ? old.replace(/v\d+-\d+-\d+/, dashed(version)) : `${old}-${dashed(version)}`;
  let name = renamed;
  for (let n = 2; taken.has(name); n++) name = `${renamed}-${n}`;
  return name;
}

export function planUpgrade(c: StackConfig, to: string, image: string): UpgradePlan {
  const templates = new Map(c.cluster.machineTemplates.map((t) => [t.name, t]));
  const from: Placement = { version: c.cluster.kubernetesVersion, controlPlane: c.cluster.controlPlane.machineTemplate, workers: c.cluster.workers.machineTemplate, infraNodes: c.cluster.infraNodes.machineTemplate };
  checkVersionStep(from.version, to);
  const taken = new Set(templates.keys());
  const newTemplates: MachineTemplate[] = [];
  const replacement = new Map<string, string>();
  const forRole = (current: string): string => {
    const known = replacement.get(current);
    if (known) return known;
    const t = templates.get(current) as MachineTemplate;
    // A template already on this image (and of the same flavor and disk) is reused.
    const same = [...templates.values()].find((o) => o.image === image && o.flavor === t.flavor && o.rootVolumeGiB === t.rootVolumeGiB);
    const name = same?.name ?? templateNameFor(current, to, taken);
    if (!same) {
      taken.add(name);
      newTemplates.push({ ...t, name, image });
    }
    replacement.set(current, name);
    return name;
  };
  const target: Placement = { version: to, controlPlane: forRole(from.controlPlane), workers: forRole(from.workers), infraNodes: forRole(from.infraNodes) };
  return { from, to: target, image, newTemplates };
}

/** The stack file edits that put the cluster on `p`. */
export const placementEdits = (p: Placement): Array<[Array<string | number>, unknown]> => [
  [["cluster", "kubernetesVersion"], p.version],
  [["cluster", "controlPlane", "machineTemplate"], p.controlPlane],
  [["cluster", "workers", "machineTemplate"], p.workers],
  [["cluster", "infraNodes", "machineTemplate"], p.infraNodes],
];
