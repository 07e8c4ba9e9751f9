/** A timestamp as the API server writes them in conditions (seconds). */
export const apiNow = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/** A controller loop for the simulators: `tick` again `periodMs` after each pass ends; an unreachable API server is waited out quietly. */
export interface Ticker {
  stop(): Promise<void>;
}

export function startTicker(name: string, tick: () => Promise<void>, periodMs = 500): Ticker {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const loop = () => {
    running = tick()
      .catch((err) => {
        if (!stopped && !/ECONNREFUSED|ECONNRESET|cannot reach/.test(String(err))) console.error(`${name}: ${(err as Error).message}`);
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, periodMs);
      });
  };
  loop();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
