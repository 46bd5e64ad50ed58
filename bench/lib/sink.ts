/**
 * A counting SMTP sink for the send benchmark, run as its own process so
 * that receiving costs neither side's CPU. It accepts every message,
 * discards the data and prints `listening <port>` once, then on each
 * `count` line read from stdin prints `count <messages> <bytes>`.
 */
import { createInterface } from 'node:readline';
import { SMTPServer } from 'smtp-server';

let messages = 0;
let bytes = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  // Pooled clients keep connections for the whole run.
  socketTimeout: 120_000,
  onData(stream, _session, callback) {
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    stream.on('end', () => {
      messages += 1;
      callback();
    });
  },
});

server.listen(Number(process.env.SINK_PORT ?? 0), '127.0.0.1', () => {
  const address = server.server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : ''}`);
});

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'count') console.log(`count ${messages} ${bytes}`);
  if (line.trim() === 'reset') {
    messages = 0;
    bytes = 0;
    console.log('count 0 0');
  }
});
