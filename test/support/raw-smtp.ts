import net from 'node:net';
import tls from 'node:tls';

/** An SMTP conversation byte by byte, for what a well-behaved client never sends (smuggling, AUTH before TLS). */
export interface RawSmtp {
  /** The next complete reply (all lines of a multi-line one). */
  reply(timeoutMs?: number): Promise<{ code: number; text: string }>;
  write(data: string | Buffer): void;
  /** Writes a command line and waits for its reply. */
  command(line: string): Promise<{ code: number; text: string }>;
  /** Upgrades the connection after a 220 to STARTTLS. */
  startTls(): Promise<void>;
  close(): void;
}

export async function rawSmtp(port: number, options: { implicitTls?: boolean } = {}): Promise<RawSmtp> {
  let socket: net.Socket = options.implicitTls
    ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false })
    : net.connect({ host: '127.0.0.1', port });
  let buffer = '';
  let wake: (() => void) | undefined;
  const attach = (s: net.Socket) => {
    s.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      wake?.();
    });
    s.on('error', () => wake?.());
    s.on('close', () => wake?.());
  };
  attach(socket);

  async function reply(timeoutMs = 5000): Promise<{ code: number; text: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = buffer.split('\r\n');
      const end = lines.findIndex((l) => /^\d{3} /.test(l) || /^\d{3}$/.test(l));
      if (end !== -1) {
        const taken = lines.slice(0, end + 1);
        buffer = lines.slice(end + 1).join('\r\n');
        return { code: Number(taken[end].slice(0, 3)), text: taken.join('\n') };
      }
      if (socket.destroyed || Date.now() > deadline) throw new Error(`no SMTP reply; got: ${JSON.stringify(buffer)}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  }

  const session: RawSmtp = {
    reply,
    write(data) {
      socket.write(data);
    },
    async command(line) {
      socket.write(`${line}\r\n`);
      return reply();
    },
    async startTls() {
      const plain = socket;
      plain.removeAllListeners('data');
      socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
        const secure = tls.connect({ socket: plain, rejectUnauthorized: false }, () => resolve(secure));
        secure.once('error', reject);
      });
      attach(socket);
    },
    close() {
      socket.destroy();
    },
  };
  await reply();
  return session;
}
