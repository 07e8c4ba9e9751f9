/** Ctrl-C and SIGTERM while `fn` runs go to `onSignal` (with how many arrived so far), and only then. */
export async function withInterrupts<T>(onSignal: (count: number) => void, fn: () => Promise<T>): Promise<T> {
  let count = 0;
  const handler = () => onSignal(++count);
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  try {
    return await fn();
  } finally {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  }
}
