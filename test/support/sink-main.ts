// The child of `startSinkProcess`: one JSON line with the port, then one per accepted message.
import { startSmtpSink } from './smtp-sink.js';

const sink = await startSmtpSink();
const write = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);
write({ port: sink.port });
let reported = 0;
setInterval(() => {
  for (; reported < sink.messages.length; reported++) {
    const m = sink.messages[reported];
    write({ at: m.at, from: m.from, to: m.to, raw: m.raw.toString('base64') });
  }
}, 50);
process.once('SIGTERM', () => void sink.close().then(() => process.exit(0)));
