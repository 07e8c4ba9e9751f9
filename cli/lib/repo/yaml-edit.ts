/**
 * Small, format-keeping edits of Prow's YAML files with the `yaml` Document API, and the
 * guard that proves an edit only inserted (or only removed) whole lines: anything else —
 * a comment moved, a quote changed, a line re-wrapped — is refused before a file is written.
 */
import { type Document, isMap, isNode, isPair, isScalar, isSeq, type Node, Pair, parseDocument, Scalar, visit, type YAMLMap, type YAMLSeq } from "yaml";

/** The style of Prow's files: sequences not indented under their key, long lines kept. */
const STYLE = { indentSeq: false, lineWidth: 0 } as const;

export function parseYaml(text: string, file: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${file} is not valid YAML: ${doc.errors[0].message}`);
  moveBlankLinesAfterEmptyValues(doc);
  if (doc.toString(STYLE) !== text) throw new Error(`${file} does not keep its layout when re-written (an unusual indentation or flow collection): edit it by hand`);
  return doc;
}

/**
 * An empty value sits on its key's line, yet the parser keeps the blank line that follows the
 * last empty value of a map as "space before" that value, and prints it twice. It belongs to
 * the next entry, where a re-print puts it once.
 */
function moveBlankLinesAfterEmptyValues(doc: Document): void {
  visit(doc, {
    Pair(_key, pair, path) {
      const v = pair.value;
      if (!isScalar(v) || v.value !== null || v.source !== "" || !v.spaceBefore) return;
      delete v.spaceBefore;
      let child: unknown = pair;
      for (let i = path.length - 1; i >= 0; i--) {
        const parent = path[i];
        if (isMap(parent) || isSeq(parent)) {
          const next = (parent.items as unknown[])[(parent.items as unknown[]).indexOf(child) + 1];
          if (next !== undefined) {
            const target = isPair(next) ? next.key : next;
            if (isNode(target)) target.spaceBefore = true;
            return;
          }
        }
        child = parent;
      }
    },
  });
}

export const printYaml = (doc: Document): string => doc.toString(STYLE);

export const mapAt = (doc: Document, path: readonly string[]): YAMLMap | undefined => {
  const node = doc.getIn(path, true);
  return isMap(node) ? node : undefined;
};

export const keyOf = (pair: Pair): string | undefined => (isScalar(pair.key) ? String(pair.key.value) : undefined);

export const findPair = (map: YAMLMap | undefined, key: string): Pair | undefined => map?.items.find((p) => keyOf(p as Pair) === key) as Pair | undefined;

/** The strings of a sequence whose items are all plain strings, else undefined. */
export function stringItems(node: unknown): string[] | undefined {
  if (!isSeq(node) || node.items.length === 0) return undefined;
  const out: string[] = [];
  for (const item of node.items) {
    if (!isScalar(item) || typeof item.value !== "string") return undefined;
    out.push(item.value);
  }
  return out;
}

/** Index after the last item for which `same` holds, else the end: a new entry joins its org's group. */
export function insertionIndex<T>(items: readonly T[], same: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (same(items[i])) return i + 1;
  return items.length;
}

/** A value node in the file's own style: a null is written as nothing after the colon, as Prow's files do. */
export function valueNode(doc: Document, value: unknown): Node {
  if (value !== null) return doc.createNode(value) as Node;
  const node = new Scalar(null);
  node.source = "";
  return node;
}

export function insertPair(doc: Document, map: YAMLMap, key: string, value: Node, same: (key: string) => boolean): void {
  const at = insertionIndex(map.items as Pair[], (p) => same(keyOf(p) ?? ""));
  map.items.splice(at, 0, new Pair(doc.createNode(key), value));
}

export function insertString(doc: Document, seq: YAMLSeq, value: string, same: (item: string) => boolean): void {
  const at = insertionIndex(seq.items, (i) => isScalar(i) && typeof i.value === "string" && same(i.value));
  seq.items.splice(at, 0, doc.createNode(value));
}

/** Every string sequence of the document, with the path to it. */
export function stringSequences(doc: Document): Array<{ path: string; seq: YAMLSeq; items: string[] }> {
  const out: Array<{ path: string; seq: YAMLSeq; items: string[] }> = [];
  const walk = (node: unknown, path: string): void => {
    const items = stringItems(node);
    if (items) out.push({ path, seq: node as YAMLSeq, items });
    else if (isSeq(node)) {
      for (const [i, n] of node.items.entries()) walk(n, `${path}[${i}]`);
    }
    else if (isMap(node)) for (const p of node.items as Pair[]) walk(p.value, path ? `${path}.${keyOf(p)}` : String(keyOf(p)));
  };
  walk(doc.contents, "");
  return out;
}

/**
 * Removes `value` from every string sequence and every map key equal to it; a collection left
 * empty by that goes too (so a collection an enable created disappears with its entry).
 * Returns the paths it removed from.
 */
export function removeEverywhere(doc: Document, value: string): string[] {
  const removed: string[] = [];
  const walk = (node: unknown, path: string): boolean => {
    if (isSeq(node)) {
      const before = node.items.length;
      node.items = node.items.filter((i, n) => {
        if (isScalar(i) && i.value === value) return false;
        return !walk(i, `${path}[${n}]`);
      });
      if (node.items.length < before) removed.push(path);
      return before > 0 && node.items.length === 0;
    }
    if (isMap(node)) {
      const before = node.items.length;
      node.items = (node.items as Pair[]).filter((p) => {
        const key = keyOf(p);
        const child = path ? `${path}.${key}` : String(key);
        if (key === value) {
          removed.push(path);
          return false;
        }
        return !walk(p.value, child);
      });
      return before > 0 && node.items.length === 0;
    }
    return false;
  };
  walk(doc.contents, "");
  return removed;
}

/**
 * Lines of `after` that are not in `before`, provided `before` is `after` with only whole lines
 * taken out (a subsequence); undefined when any line of `before` changed or moved.
 */
export function insertedLines(before: string, after: string): string[] | undefined {
  const old = before.split("\n");
  const added: string[] = [];
  let i = 0;
  for (const line of after.split("\n")) {
    if (i < old.length && old[i] === line) i++;
    else added.push(line);
  }
  return i === old.length ? added : undefined;
}
