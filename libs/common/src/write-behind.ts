/**
 * Calls that each write one item, made into writes of many: a call made
 * while no write is on its way starts one (at once, or after `lingerMs`
 * for a writer whose callers need not hear soon); calls made meanwhile go
 * together in the next, up to `max` an item. A busy caller then writes
 * dozens per round trip and an idle one each on its own. `writeMany`
 * answers for each item, in their order.
 */
export class WriteBehind<T, R> {
  private queued: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly writeMany: (items: T[]) => Promise<R[]>,
    private readonly max = 100,
    private readonly lingerMs = 0,
  ) {}

  write(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    if (this.lingerMs > 0) await new Promise((resolve) => setTimeout(resolve, this.lingerMs));
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, this.max);
      try {
        const results = await this.writeMany(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i]));
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    this.writing = false;
  }
}
