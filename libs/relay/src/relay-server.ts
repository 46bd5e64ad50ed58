import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { ApiKeysService, type RelayKey } from '@herald/auth';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { isSafeAddress, readMessageData, serverCertificate, smtpReply, type SmtpReplyError } from '@herald/delivery';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { RefusedMessage } from './incoming.js';
import { RelayIntake } from './relay-intake.js';
import { RelayLimits } from './limits.js';

export type ListenMode = 'starttls' | 'tls';

/** How the relay starts: a relay process must get every port; a process that runs it beside the api may go without. */
export interface RelayServerOptions {
  required: boolean;
}
export const RELAY_SERVER_OPTIONS = Symbol('RELAY_SERVER_OPTIONS');

const refused = (error: unknown): SmtpReplyError =>
  error instanceof RefusedMessage
    ? smtpReply(error.code, error.enhanced, error.message)
    : smtpReply(451, '4.3.0', 'Temporary failure, try again later');

/** The listeners of HERALD_RELAY_LISTEN (`587:starttls,465:tls`). */
export function parseListen(value: string): { port: number; mode: ListenMode }[] {
  return value.split(',').map((pair) => {
    const [port, mode] = pair.split(':');
    return { port: Number(port), mode: mode as ListenMode };
  });
}

const isLoopback = (ip: string) => ipaddr.isValid(ip) && ipaddr.process(ip).range() === 'loopback';

/** The parts of smtp-server's connection object used to keep AUTH out of the EHLO reply before TLS. */
interface ConnectionInternals {
  id: string;
  secure: boolean;
  remoteAddress: string;
  send(code: number, data: unknown, context?: unknown): void;
}

/**
 * smtp-server refuses AUTH before TLS (538) but still lists it in the EHLO
 * reply; a client that sees AUTH on a plain connection may send its key
 * in the clear before finding out. This drops it from the list until the
 * connection is secure (or `allowPlain` says this client may).
 */
function hideAuthBeforeTls(server: SMTPServer, sessionId: string, allowPlain: (ip: string) => boolean): void {
  const connections = (server as unknown as { connections: Set<ConnectionInternals> }).connections;
  for (const connection of connections) {
    if (connection.id !== sessionId) continue;
    const send = connection.send.bind(connection);
    connection.send = (code, data, context) => {
      if (code === 250 && Array.isArray(data) && !connection.secure && !allowPlain(connection.remoteAddress)) {
        data = data.filter((line) => !(typeof line === 'string' && line.startsWith('AUTH ')));
      }
      send(code, data, context);
    };
  }
}

/**
 * The SMTP relay: applications hand Herald mail over SMTP, authenticated by
 * an API key as the password, and Herald delivers it through its senders.
 * It is never an open relay: nothing is taken before AUTH, AUTH only over
 * TLS, and the envelope sender and the From field must be in a domain of a
 * configured sender. A message is stored before the 250.
 */
@Injectable()
export class RelayServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Relay');
  private readonly servers: { server: SMTPServer; mode: ListenMode }[] = [];
  private readonly name: string;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    @Inject(RELAY_SERVER_OPTIONS) private readonly options: RelayServerOptions,
    private readonly keys: ApiKeysService,
    private readonly limits: RelayLimits,
    private readonly intake: RelayIntake,
  ) {
    this.name = config.HERALD_RELAY_HOSTNAME ?? hostname();
  }

  async onApplicationBootstrap(): Promise<void> {
    const tls = this.tls();
    for (const { port, mode } of parseListen(this.config.HERALD_RELAY_LISTEN)) {
      const server = this.createServer(mode, tls);
      try {
        await new Promise<void>((resolve, reject) => {
          server.server.once('error', reject);
          server.listen(port, this.config.HERALD_RELAY_BIND, () => {
            server.server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        if (this.options.required) throw error;
        this.logger.warn({ port, mode, code: (error as NodeJS.ErrnoException).code }, 'relay.port_unavailable');
        continue;
      }
      server.on('error', (error) => this.logger.warn({ err: error }, 'relay.smtp_error'));
      this.servers.push({ server, mode });
      this.logger.log({ port: (server.server.address() as AddressInfo).port, mode }, 'relay.listening');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const servers = this.servers.splice(0);
    await Promise.all(servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }

  /** Where the relay listens in this process (port 0 in the config gives the port picked). */
  listeners(): { port: number; mode: ListenMode }[] {
    return this.servers.map(({ server, mode }) => ({ port: (server.server.address() as AddressInfo).port, mode }));
  }

  private tls(): { key: string; cert: string } {
    const pair = serverCertificate(this.name, {
      certFile: this.config.HERALD_RELAY_TLS_CERT_FILE,
      keyFile: this.config.HERALD_RELAY_TLS_KEY_FILE,
      certVariable: 'HERALD_RELAY_TLS_CERT_FILE',
      keyVariable: 'HERALD_RELAY_TLS_KEY_FILE',
    });
    if (pair.selfSigned) this.logger.warn({ hostname: this.name }, 'relay.self_signed_certificate');
    return pair;
  }

  private insecureLoopbackAuth(): boolean {
    return this.config.HERALD_RELAY_INSECURE_LOOPBACK_AUTH && this.config.NODE_ENV === 'development';
  }

  private createServer(mode: ListenMode, tls: { key: string; cert: string }): SMTPServer {
    const maxRecipients = this.config.HERALD_RELAY_MAX_RECIPIENTS;
    const maxBytes = this.config.HERALD_RELAY_MAX_BYTES;
    const server: SMTPServer = new SMTPServer({
      secure: mode === 'tls',
      key: tls.key,
      cert: tls.cert,
      name: this.name,
      banner: 'Herald relay: authenticate with an API key',
      logger: false,
      disableReverseLookup: true,
      authMethods: ['PLAIN', 'LOGIN'],
      // smtp-server would refuse AUTH before TLS itself; with loopback allowed, onAuth decides per client.
      allowInsecureAuth: this.insecureLoopbackAuth(),
      size: maxBytes,
      closeTimeout: 2000,
      onConnect: (session, callback) => {
        hideAuthBeforeTls(server, session.id, (ip) => this.insecureLoopbackAuth() && isLoopback(ip));
        callback();
      },
      onAuth: (auth, session, callback) => {
        this.authenticate(auth.method, auth.password ?? '', session).then(
          (key) => callback(null, { user: key }),
          (error: SmtpReplyError) => callback(error),
        );
      },
      onMailFrom: (address, session, callback) => {
        const key = session.user as RelayKey | undefined;
        if (key === undefined) return callback(smtpReply(530, '5.7.0', 'Authentication required'));
        this.mailFrom(key, address.address).then(
          () => callback(),
          (error: SmtpReplyError) => callback(error),
        );
      },
      onRcptTo: (address, session, callback) => {
        if (session.envelope.rcptTo.length >= maxRecipients) {
          return callback(smtpReply(452, '4.5.3', `Too many recipients: at most ${maxRecipients} per message`));
        }
        if (!isSafeAddress(address.address)) return callback(smtpReply(553, '5.1.3', 'Recipient address is not valid'));
        callback();
      },
      onData: (stream, session, callback) => {
        this.receive(stream, session).then(
          (id) => callback(null, `2.0.0 Queued as ${id}`),
          (error: SmtpReplyError) => callback(error),
        );
      },
    });
    return server;
  }

  private async authenticate(method: string, password: string, session: SMTPServerSession): Promise<RelayKey> {
    if (method !== 'PLAIN' && method !== 'LOGIN') throw smtpReply(504, '5.5.4', 'Unrecognised authentication type');
    if (!session.secure && !(this.insecureLoopbackAuth() && isLoopback(session.remoteAddress))) {
      throw smtpReply(538, '5.7.11', 'Encryption required: issue STARTTLS first');
    }
    const blocked = await this.limits.authBlockedFor(session.remoteAddress);
    if (blocked > 0) {
      throw smtpReply(454, '4.7.0', `Too many failed logins; try again in ${Math.ceil(blocked / 60)} minute(s)`);
    }
    const key = await this.keys.verifyForRelay(password);
    if (key === null) {
      await this.limits.authFailed(session.remoteAddress);
      throw smtpReply(535, '5.7.8', 'Authentication credentials invalid: the password is an API key');
    }
    return key;
  }

  private async mailFrom(key: RelayKey, address: string): Promise<void> {
    const rate = await this.limits.countMessage(`key:${key.keyId}`);
    if (!rate.allowed) {
      throw smtpReply(
        451,
        '4.7.1',
        `Rate limit of ${this.config.HERALD_RELAY_RATE_PER_MINUTE} messages a minute reached for this key; try again in ${rate.retryAfterSeconds} seconds`,
      );
    }
    try {
      await this.intake.checkEnvelopeSender(address);
    } catch (error) {
      throw refused(error);
    }
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const data = await readMessageData(stream, this.config.HERALD_RELAY_MAX_BYTES);
    const key = session.user as RelayKey;
    const mailFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
    const recipients = session.envelope.rcptTo.map((r) => r.address);
    try {
      return await this.intake.acceptSmtp(key, mailFrom, recipients, data);
    } catch (error) {
      if (!(error instanceof RefusedMessage)) this.logger.error({ err: error }, 'relay.store_failed');
      throw refused(error);
    }
  }
}
