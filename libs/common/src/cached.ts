/**
 * Wraps an expensive read so that callers within `ttlMs` of its last result
 * share that result, and callers while it runs share the run: however many
 * ask at once, at most one computation is in progress. A failure is not
 * kept; the next call tries again.
 */
export function cachedFor<T>(ttlMs: number, compute: () => Promise<T>): () => Promise<T> {
  let value: { result: T; at: number } | undefined;
  let running: Promise<T> | undefined;
  return () => {
    if (value !== undefined && Date.now() - value.at < ttlMs) return Promise.resolve(value.result);
    running ??= compute().then(
      (result) => {
        value = { result, at: Date.now() };
        running = undefined;
        return result;
      },
      (error: unknown) => {
        running = undefined;
        throw error;
      },
    );
    return running;
  };
}
