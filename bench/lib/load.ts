/**
 * HTTP load from a process of its own (the server under test must not share
 * its CPU with the load generator's bookkeeping): `node load.js <json>` with
 * `{ url, paths, connections, seconds, rate? }` runs autocannon over the
 * paths in turn and prints its result as one JSON line.
 */
import autocannon from 'autocannon';

interface LoadSpec {
  url: string;
  paths: string[];
  connections: number;
  seconds: number;
  /** Requests per second over all connections; unset: as fast as the server answers. */
  rate?: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2]) as LoadSpec;
  let next = 0;
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    ...(spec.rate === undefined ? {} : { overallRate: spec.rate }),
    requests: [
      {
        setupRequest: (request) => {
          request.path = spec.paths[next++ % spec.paths.length];
          return request;
        },
      },
    ],
  });
  process.stdout.write(
    `${JSON.stringify({
      requests: result.requests.total,
      perSecond: result.requests.average,
      p99: result.latency.p99,
      p50: result.latency.p50,
      redirects: result['3xx'],
      ok: result['2xx'],
      errors: result.errors + result.timeouts + result['4xx'] + result['5xx'],
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
