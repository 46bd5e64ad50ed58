/**
 * Calls that each write one item, made into writes of many: a call made
 * while no write is on its way starts one at once; calls made while one is
 * on its way go together in the next, up to `max` an item. A busy caller
 * then writes dozens per round trip and an idle one each at once, with no
 * timer to wait for. `writeMany` answers for each item, in their order.
 */
export class WriteBehind<T, R> {
  private queued: { item: T; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  private writing = false;

  constructor(
    private readonly writeMany: (items: T[]) => Promise<R[]>,
    private readonly max = 100,
  ) {}

  write(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queued.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
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
