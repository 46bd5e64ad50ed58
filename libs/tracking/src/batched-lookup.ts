/**
 * Turns a lookup of many ids at once into a lookup of one id, for a hot
 * path that gets many concurrent single lookups (every click needs its
 * message): ids asked for while earlier lookups are running wait and go
 * together in the next query, so at campaign peaks the database sees a few
 * queries of hundreds of ids instead of hundreds of one-row queries. When
 * the path is quiet, a lookup runs at once on its own.
 */
export function batchedLookup<V>(
  findMany: (ids: string[]) => Promise<Map<string, V>>,
  { maxInFlight = 2, maxBatch = 500 }: { maxInFlight?: number; maxBatch?: number } = {},
): (id: string) => Promise<V | undefined> {
  type Waiter = { resolve: (value: V | undefined) => void; reject: (error: unknown) => void };
  const waiting = new Map<string, Waiter[]>();
  let inFlight = 0;
  let scheduled = false;

  const run = (batch: Map<string, Waiter[]>) => {
    inFlight += 1;
    findMany([...batch.keys()])
      .then(
        (found) => {
          for (const [id, waiters] of batch) for (const w of waiters) w.resolve(found.get(id));
        },
        (error: unknown) => {
          for (const waiters of batch.values()) for (const w of waiters) w.reject(error);
        },
      )
      .finally(() => {
        inFlight -= 1;
        pump();
      });
  };

  function pump(): void {
    scheduled = false;
    while (inFlight < maxInFlight && waiting.size > 0) {
      const batch = new Map<string, Waiter[]>();
      for (const [id, waiters] of waiting) {
        if (batch.size === maxBatch) break;
        batch.set(id, waiters);
        waiting.delete(id);
      }
      run(batch);
    }
  }

  return (id) =>
    new Promise<V | undefined>((resolve, reject) => {
      const waiters = waiting.get(id);
      if (waiters === undefined) waiting.set(id, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      // Lookups asked for in the same turn of the event loop go together.
      if (!scheduled && inFlight < maxInFlight) {
        scheduled = true;
        setImmediate(pump);
      }
    });
}
