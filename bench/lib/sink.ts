/**
 * A counting SMTP sink for the benchmarks, run as its own process so that
 * receiving costs neither side's CPU. It accepts every message, discards
 * the data and prints `listening <port>` once, then on each `count` line
 * read from stdin prints `count <messages> <bytes> <recipients> <repeated>`:
 * distinct recipients seen, and deliveries beyond the first to one of them.
 * With SINK_TLS_KEY and SINK_TLS_CERT (PEM) it offers STARTTLS and takes
 * any AUTH, as a relay's clients expect; without, it is a plain MX.
 */
import { createInterface } from 'node:readline';
import { SMTPServer } from 'smtp-server';

let messages = 0;
let bytes = 0;
const copies = new Map<string, number>();
let repeated = 0;

const key = process.env.SINK_TLS_KEY;
const cert = process.env.SINK_TLS_CERT;
const tls = key !== undefined && cert !== undefined;

const server = new SMTPServer({
  logger: false,
  disableReverseLookup: true,
  // Pooled clients keep connections for the whole run.
  socketTimeout: 120_000,
  ...(tls
    ? { key, cert, authMethods: ['PLAIN', 'LOGIN'] }
    : { authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'] }),
  onAuth: (_auth, _session, callback) => callback(null, { user: 'bench' }),
  onData(stream, session, callback) {
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    stream.on('end', () => {
      messages += 1;
      for (const { address } of session.envelope.rcptTo) {
        const seen = copies.get(address) ?? 0;
        if (seen > 0) repeated += 1;
        copies.set(address, seen + 1);
      }
      callback();
    });
  },
});

server.listen(Number(process.env.SINK_PORT ?? 0), '127.0.0.1', () => {
  const address = server.server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : ''}`);
});

const report = () => console.log(`count ${messages} ${bytes} ${copies.size} ${repeated}`);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'count') report();
  if (line.trim() === 'reset') {
    messages = 0;
    bytes = 0;
    copies.clear();
    repeated = 0;
    report();
  }
});
