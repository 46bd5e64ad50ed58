import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';

/** What the sink does with one recipient. Replies at RCPT or after the data; hangs never answer; drops cut the connection. */
export type RecipientBehaviour =
  | 'accept'
  | 'rcpt-421'
  | 'rcpt-451'
  | 'rcpt-454'
  | 'rcpt-550'
  | 'data-451'
  | 'data-550'
  | 'hang-rcpt'
  | 'hang-data'
  | 'drop-rcpt'
  | 'drop-during-data'
  | 'drop-after-data';

export interface SinkMessage {
  from: string;
  to: string[];
  raw: Buffer;
  /** When its data had arrived (epoch ms): rates are measured on this. */
  at: number;
}

export interface SmtpSink {
  port: number;
  host: string;
  /** Messages accepted (answered 250), in order. */
  messages: SinkMessage[];
  /** Messages whose data arrived completely, whatever the sink answered (or did not). */
  received: SinkMessage[];
  /** Connections opened so far. */
  connections(): number;
  behave(recipient: string, behaviour: RecipientBehaviour): void;
  /** Resolves once `count` messages were accepted. */
  waitFor(count: number, timeoutMs?: number): Promise<SinkMessage[]>;
  close(): Promise<void>;
}

export interface SinkOptions {
  /** Require AUTH (PLAIN/LOGIN, allowed without TLS) with these credentials. */
  auth?: { user: string; pass: string };
  /** Offer no STARTTLS (a sender that requires it is refused). */
  noStartTls?: boolean;
  /** Listen on this port rather than a free one (a sink that comes back where a sender expects it). */
  port?: number;
}

class SinkError extends Error {
  constructor(
    message: string,
    readonly responseCode: number,
  ) {
    super(message);
  }
}

const REPLIES: Partial<Record<RecipientBehaviour, [number, string]>> = {
  'rcpt-421': [421, 'Service not available, closing channel'],
  'rcpt-451': [451, 'Requested action aborted: try again later'],
  'rcpt-454': [454, 'Temporary failure'],
  'rcpt-550': [550, 'No such user here'],
  'data-451': [451, 'Message deferred'],
  'data-550': [550, 'Message refused'],
};

/**
 * An `smtp-server` on a free port that records what it receives and behaves
 * per recipient as told: the counterpart of every delivery test.
 */
export async function startSmtpSink(options: SinkOptions = {}): Promise<SmtpSink> {
  const behaviours = new Map<string, RecipientBehaviour>();
  const messages: SinkMessage[] = [];
  const received: SinkMessage[] = [];
  const waiters: (() => void)[] = [];
  let opened = 0;
  const sockets = new Map<string, Socket>();
  const behaviourOf = (address: string) => behaviours.get(address.toLowerCase()) ?? 'accept';
  const drop = (session: SMTPServerSession) => sockets.get(session.id)?.destroy();

  const serverOptions: SMTPServerOptions = {
    logger: false,
    disableReverseLookup: true,
    hideSTARTTLS: options.noStartTls ?? false,
    disabledCommands: options.noStartTls ? ['STARTTLS'] : [],
    allowInsecureAuth: true,
    authOptional: options.auth === undefined,
    authMethods: ['PLAIN', 'LOGIN'],
    closeTimeout: 100,
    onConnect(_session, callback) {
      opened += 1;
      // Handlers get the session only; the sink needs the socket to cut it.
      for (const connection of server.connections as Set<{ id: string; _socket: Socket }>) {
        sockets.set(connection.id, connection._socket);
      }
      callback();
    },
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(new SinkError('Authentication credentials invalid', 535));
      }
    },
    onRcptTo(address, session, callback) {
      const behaviour = behaviourOf(address.address);
      if (behaviour === 'hang-rcpt') return;
      if (behaviour === 'drop-rcpt') return drop(session);
      const reply = behaviour.startsWith('rcpt-') ? REPLIES[behaviour] : undefined;
      if (reply) return callback(new SinkError(reply[1], reply[0]));
      callback();
    },
    onData(stream, session, callback) {
      const to = session.envelope.rcptTo.map((r) => r.address);
      const behaviour = behaviourOf(to[0] ?? '');
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (behaviour === 'drop-during-data') drop(session);
        chunks.push(chunk);
      });
      stream.on('end', () => {
        const message = {
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to,
          raw: Buffer.concat(chunks),
          at: Date.now(),
        };
        received.push(message);
        if (behaviour === 'hang-data') return;
        if (behaviour === 'drop-after-data') return drop(session);
        const reply = behaviour.startsWith('data-') ? REPLIES[behaviour] : undefined;
        if (reply) return callback(new SinkError(reply[1], reply[0]));
        messages.push(message);
        callback(null, `Queued as m${messages.length}`);
        for (const wake of waiters.splice(0)) wake();
      });
    },
  };
  const server: SMTPServer = new SMTPServer(serverOptions);
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;

  return {
    port,
    host: '127.0.0.1',
    messages,
    received,
    connections: () => opened,
    behave(recipient, behaviour) {
      behaviours.set(recipient.toLowerCase(), behaviour);
    },
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline) throw new Error(`the sink got ${messages.length} of ${count} messages`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return messages.slice(0, count);
    },
    async close() {
      for (const socket of sockets.values()) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
