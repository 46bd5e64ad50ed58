/** A background task started by `runPeriodically`; `stop` clears its timer and waits for a run in progress. */
export interface PeriodicTask {
  stop(): Promise<void>;
}

/**
 * Runs `work` every `intervalMs`, never two runs at once (a slow run makes
 * the timer skip a beat, not stack runs up), reports a failed run to
 * `onError` and goes on. The timer does not keep the process alive, and
 * `stop` waits for the run in progress, so a shutdown never closes the
 * database under it. What the reconcilers and scheduler ticks of every lib
 * run on.
 */
export function runPeriodically(
  work: () => Promise<void>,
  intervalMs: number,
  onError: (error: unknown) => void,
): PeriodicTask {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= work()
      .catch(onError)
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
