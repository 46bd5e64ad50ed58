import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Starts `node <script>` with `env`, prefixing its output lines with `name`.
 * BENCH_NODE_ARGS_<NAME> (e.g. BENCH_NODE_ARGS_WORKER="--cpu-prof") adds node flags, for profiling.
 */
export function startNode(name: string, script: string, env: Record<string, string>): ChildProcess {
  const extra = process.env[`BENCH_NODE_ARGS_${name.toUpperCase()}`]?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...extra, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const relay = (stream: NodeJS.ReadableStream | null) =>
    stream?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) console.log(`  [${name}] ${line}`);
    });
  relay(child.stdout);
  relay(child.stderr);
  return child;
}

/** Stops a child we started, by its own pid, and waits for it to exit. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Peak resident set size of a live process in MB (`VmHWM`), or undefined once it has exited. */
export function peakRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Polls `/health` until it answers 200; fails at once if `child` exits first. */
export async function waitForHealth(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode} before answering`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become healthy in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Resolves with the match when the child prints a line matching `pattern`; rejects if it exits first. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no output matching ${pattern} in ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      const match = pattern.exec(chunk.toString());
      if (match === null) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(match);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`process exited with ${code} before printing ${pattern}`)));
  });
}

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux build we run on

/** Fields of `/proc/<pid>/stat` after the command name, which may itself hold spaces. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds a live process has used so far (user + system). */
export function cpuSeconds(pid: number | undefined): number {
  const fields = pid === undefined ? undefined : statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND : 0;
}

function isPostgres(pid: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
  } catch {
    return false;
  }
}

/**
 * CPU seconds used so far by the live Postgres backends connected to
 * `database` (their process title names it): what a run costs Postgres
 * without what other databases on the server cost it meanwhile. Backends
 * that exit during the run are not counted; the pools keep theirs open.
 */
export function postgresBackendsCpuSeconds(database: string): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || !isPostgres(pid)) continue;
    let title: string;
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!title.includes(` ${database} `)) continue;
    const fields = statFields(pid);
    if (fields) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/**
 * CPU seconds used so far by a local Postgres server: every `postgres`
 * process, plus what its exited backends left in the postmaster's
 * children's times. Zero when the server is not on this machine.
 */
export function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || !isPostgres(pid)) continue;
    const fields = statFields(pid);
    if (!fields) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
    if (!isPostgres(fields[1])) ticks += Number(fields[13]) + Number(fields[14]); // the postmaster: its reaped backends
  }
  return ticks / TICKS_PER_SECOND;
}
