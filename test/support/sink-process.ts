import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SinkMessage } from './smtp-sink.js';
import { until } from './campaigns.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SinkProcess {
  port: number;
  /** Messages accepted, in order, as the child reported them. */
  messages: SinkMessage[];
  /** Resolves once `count` messages were reported. */
  waitFor(count: number, timeoutMs?: number): Promise<SinkMessage[]>;
  close(): Promise<void>;
}

/**
 * An accepting SMTP sink in a process of its own: arrival times are then
 * taken by a process that does nothing else, not by the test's, which also
 * runs the API the test polls. Rates are measured on these.
 */
export async function startSinkProcess(): Promise<SinkProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', './test/support/ts-loader/register.mjs', 'test/support/sink-main.ts'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const messages: SinkMessage[] = [];
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => {
      const event = JSON.parse(line) as { port: number } | { at: number; from: string; to: string[]; raw: string };
      if ('port' in event) resolve(event.port);
      else messages.push({ at: event.at, from: event.from, to: event.to, raw: Buffer.from(event.raw, 'base64') });
    });
    child.once('exit', (code) => reject(new Error(`the sink process exited with ${code}`)));
  });
  return {
    port,
    messages,
    waitFor: (count, timeoutMs = 10_000) =>
      until(
        async () => messages,
        (all) => all.length >= count,
        timeoutMs,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
