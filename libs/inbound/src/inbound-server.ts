import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { readMessageData, serverCertificate, smtpReply, type SmtpReplyError } from '@herald/delivery';
import { InboundIntake } from './inbound-intake.js';

/** How the listener starts: the relay process must get its port; a process that runs it beside the api may go without. */
export interface InboundServerOptions {
  required: boolean;
}
export const INBOUND_SERVER_OPTIONS = Symbol('INBOUND_SERVER_OPTIONS');

/**
 * The inbound listener: the SMTP server the bounce domain's MX points at.
 * It takes mail only for Herald's own return addresses (`bounce+<token>@`,
 * `unsubscribe+<token>@`, and `complaints@` / `postmaster@` for feedback
 * loops) at the inbound domains; any other recipient gets 550, so it is
 * never a relay. No AUTH: whoever returns a bounce is a stranger. STARTTLS
 * is offered, as by any MX, and never required: MX-to-MX TLS is
 * opportunistic, and a sender that cannot do it delivers in the clear. One
 * recipient per transaction (a second RCPT gets 452 and comes again in its
 * own), so that every stored message is about one address. smtp-server
 * ends the data only at `<CRLF>.<CRLF>`; nothing taken here is sent on.
 * Each message is stored with what became of it before the 250.
 */
@Injectable()
export class InboundServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Inbound');
  private server: SMTPServer | undefined;
  private readonly name: string;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    @Inject(INBOUND_SERVER_OPTIONS) private readonly options: InboundServerOptions,
    private readonly intake: InboundIntake,
  ) {
    this.name = config.HERALD_RELAY_HOSTNAME ?? hostname();
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = this.createServer();
    const port = this.config.HERALD_INBOUND_PORT;
    const bind = this.config.HERALD_INBOUND_BIND;
    try {
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(port, bind, () => {
          server.server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      if (this.options.required) throw error;
      this.logger.warn({ port, code: (error as NodeJS.ErrnoException).code }, 'inbound.port_unavailable');
      return;
    }
    server.on('error', (error) => this.logger.warn({ err: error }, 'inbound.smtp_error'));
    this.server = server;
    this.logger.log({ bind, port: this.port }, 'inbound.listening');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The port listened on in this process (port 0 in the config gives the port picked); undefined when not listening. */
  get port(): number | undefined {
    return (this.server?.server.address() as AddressInfo | null | undefined)?.port;
  }

  private createServer(): SMTPServer {
    const maxBytes = this.config.HERALD_INBOUND_MAX_BYTES;
    const tls = serverCertificate(this.name, {
      certFile: this.config.HERALD_INBOUND_TLS_CERT_FILE,
      keyFile: this.config.HERALD_INBOUND_TLS_KEY_FILE,
      certVariable: 'HERALD_INBOUND_TLS_CERT_FILE',
      keyVariable: 'HERALD_INBOUND_TLS_KEY_FILE',
    });
    if (tls.selfSigned) this.logger.log({ hostname: this.name }, 'inbound.self_signed_certificate');
    return new SMTPServer({
      name: this.name,
      banner: 'Herald inbound: bounces, feedback reports and unsubscribes only',
      logger: false,
      disableReverseLookup: true,
      authOptional: true,
      disabledCommands: ['AUTH'],
      key: tls.key,
      cert: tls.cert,
      size: maxBytes,
      closeTimeout: 2000,
      onRcptTo: (address, session, callback) => {
        if (session.envelope.rcptTo.length >= 1) {
          return callback(smtpReply(452, '4.5.3', 'One recipient per message here; send the others again'));
        }
        this.intake.accepts(address.address).then(
          (accepted) =>
            accepted
              ? callback()
              : callback(smtpReply(550, '5.1.1', 'No such recipient here: this server is no relay')),
          (error: unknown) => {
            this.logger.error({ err: error }, 'inbound.recipient_check_failed');
            callback(smtpReply(451, '4.3.0', 'Temporary failure, try again later'));
          },
        );
      },
      onData: (stream, session, callback) => {
        this.receive(stream, session).then(
          (id) => callback(null, `2.0.0 Kept as inbound message ${id}`),
          (error: SmtpReplyError) => callback(error),
        );
      },
    });
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const data = await readMessageData(stream, this.config.HERALD_INBOUND_MAX_BYTES);
    const envelope = {
      remoteAddress: session.remoteAddress || null,
      from: session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address || null,
      to: session.envelope.rcptTo.map((r) => r.address),
    };
    try {
      return await this.intake.receive(envelope, data);
    } catch (error) {
      this.logger.error({ err: error }, 'inbound.store_failed');
      throw smtpReply(451, '4.3.0', 'The message could not be stored; try again later');
    }
  }
}
