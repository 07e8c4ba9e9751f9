/**
 * Secret values this process has handled, masked out of every text it writes: errors, the
 * journal, the audit record. A value is registered where it enters (read from stdin, from
 * the stack's secrets, generated) and never printed afterwards.
 */
const known = new Set<string>();

export const MASK = "***";

/** Registers a secret value; short values are ignored (masking "a" would mangle every text). */
export function registerSecret(value: string): void {
  if (value.length >= 6) known.add(value);
}

export function mask(text: string): string {
  let out = text;
  for (const v of known) out = out.split(v).join(MASK);
  return out;
}
