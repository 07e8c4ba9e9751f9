/**
 * Pulumi.<stack>.yaml as a document: plain values read and written in place, keeping every
 * comment, blank line and key order (the `yaml` Document API). A change is validated as a
 * whole stack config before the file is written; an invalid one leaves the file untouched.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { type Document, isMap, isScalar, isSeq, parse, parseDocument, type YAMLSeq } from "yaml";
import { PROJECT, parseStackConfig, projectValues, refusePlainSecrets } from "../../config/load";
import type { StackConfig } from "../../config/schema";
import { SetupError, UsageError } from "../../stacks/core/errors";
import { SECRET_NAMES, type SecretName } from "../../stacks/core/secret-text";

export type KeyPath = Array<string | number>;

/** "cluster.workers.autoscaler.max", "prow-ops:cluster.allowedCIDRs[0]" → ["cluster", "workers", ...]. */
export function parseKey(key: string): KeyPath {
  const bare = key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : key;
  if (!/^[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z][A-Za-z0-9-]*|\[\d+\])*$/.test(bare)) {
    throw new UsageError(`${JSON.stringify(key)} is not a config key (expected a dotted path such as cluster.workers.autoscaler.max or cluster.allowedCIDRs[0])`);
  }
  const path: KeyPath = [];
  for (const m of bare.matchAll(/([A-Za-z][A-Za-z0-9-]*)|\[(\d+)\]/g)) path.push(m[1] ?? Number(m[2]));
  if ((SECRET_NAMES as readonly string[]).includes(String(path[0]))) {
    throw new UsageError(`${path[0]} is a secret: set it with \`prow-ops secrets set ${path[0]}\` (from stdin or a hidden prompt), never as plain config`);
  }
  return path;
}

export class StackFile {
  private constructor(
    readonly path: string,
    readonly doc: Document,
  ) {}

  static load(path: string): StackFile {
    if (!existsSync(path)) throw new SetupError(`${path} does not exist: pick a stack with --stack, or start one from Pulumi.prow.yaml`);
    const doc = parseDocument(readFileSync(path, "utf8"));
    if (doc.errors.length) throw new UsageError(`${path} is not valid YAML: ${doc.errors[0].message}`);
    return new StackFile(path, doc);
  }

  private docPath(key: KeyPath): KeyPath {
    return ["config", `${PROJECT}:${key[0]}`, ...key.slice(1)];
  }

  get(key: KeyPath): unknown {
    const node = this.doc.getIn(this.docPath(key), true);
    if (node === undefined) return undefined;
    return isScalar(node) ? node.value : (node as { toJSON(): unknown }).toJSON();
  }

  /** Plain values, validated: what the program would declare from. */
  config(): StackConfig {
    const raw = this.plainValues();
    refusePlainSecrets(raw, this.path);
    return parseStackConfig(raw, this.path);
  }

  plainValues(): Record<string, unknown> {
    return projectValues(((this.doc.toJS() as { config?: Record<string, unknown> }).config ?? {}) as Record<string, unknown>);
  }

  /** Sets a value, validates the whole stack config and writes the file; throws (file untouched) when invalid. */
  set(key: KeyPath, value: unknown): void {
    this.update([[key, value]]);
  }

  /** Removes a value (back to the default), validated the same way. */
  delete(key: KeyPath): void {
    this.update([[key, undefined]]);
  }

  /** Several changes as one: set (undefined removes), validate the result once, write once. */
  update(edits: ReadonlyArray<readonly [KeyPath, unknown]>): void {
    if (!isMap(this.doc.get("config"))) this.doc.set("config", this.doc.createNode({}));
    for (const [key, value] of edits) {
      if (value === undefined) this.doc.deleteIn(this.docPath(key));
      else this.doc.setIn(this.docPath(key), value);
    }
    this.config();
    this.write();
  }

  /**
   * Adds or removes one string of a list in place (the list's other lines and comments kept),
   * validated and written like update(). False when the list was already so.
   */
  setListMember(key: KeyPath, item: string, present: boolean): boolean {
    const path = this.docPath(key);
    const node = this.doc.getIn(path, true);
    const has = isSeq(node) && node.items.some((i) => isScalar(i) && i.value === item);
    if (has === present) return false;
    if (!present) (node as YAMLSeq).items = (node as YAMLSeq).items.filter((i) => !(isScalar(i) && i.value === item));
    else if (isSeq(node)) node.items.push(this.doc.createNode(item));
    else this.doc.setIn(path, this.doc.createNode([item]));
    this.config();
    this.write();
    return true;
  }

  /** Secret names that hold a `secure:` value. */
  secretsSet(): SecretName[] {
    const config = ((this.doc.toJS() as { config?: Record<string, unknown> }).config ?? {}) as Record<string, unknown>;
    return SECRET_NAMES.filter((n) => {
      const v = config[`${PROJECT}:${n}`];
      return v !== null && typeof v === "object" && "secure" in v;
    });
  }

  private write(): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, this.doc.toString());
    renameSync(tmp, this.path);
  }
}

/** A value typed on the command line: YAML scalars and flow collections ("7", "true", "[a, b]"); anything else is a string. */
export function parseValue(text: string): unknown {
  try {
    const v = parse(text);
    return v === null && text.trim() !== "null" ? text : v;
  } catch {
    return text;
  }
}
