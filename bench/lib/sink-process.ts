import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** What the sink has taken since it started or was reset. */
export interface SinkCount {
  messages: number;
  bytes: number;
  /** Distinct recipients. */
  recipients: number;
  /** Deliveries beyond the first to one recipient: 0 when each got exactly one. */
  repeated: number;
}

/** The counting sink (`bench/lib/sink.ts`) in its own process, driven over its stdin and stdout. */
export class Sink {
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  port = 0;

  /** `env`: SINK_TLS_KEY and SINK_TLS_CERT make it take STARTTLS and AUTH. */
  constructor(env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, ['dist/bench/lib/sink.js'], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (this.waiting) {
        const resolve = this.waiting;
        this.waiting = undefined;
        resolve(line);
      } else this.lines.push(line);
    });
  }

  private next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  async start(): Promise<this> {
    this.port = Number((await this.next()).split(' ')[1]);
    return this;
  }

  async count(): Promise<SinkCount> {
    this.child.stdin!.write('count\n');
    const [, messages, bytes, recipients, repeated] = (await this.next()).split(' ').map(Number);
    return { messages, bytes, recipients, repeated };
  }

  async reset(): Promise<void> {
    this.child.stdin!.write('reset\n');
    await this.next();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}
