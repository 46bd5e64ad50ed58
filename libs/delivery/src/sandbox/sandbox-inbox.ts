import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { SendersService } from '../senders/senders.service.js';
import { readMessageData, smtpReply, type SmtpReplyError } from '../smtp/smtp-replies.js';
import { SandboxAddress } from './sandbox-address.js';
import { SandboxMessages } from './sandbox-messages.service.js';

/** Larger messages are refused (552) before they are stored; real campaigns are far smaller. */
export const SANDBOX_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/**
 * The sandbox inbox: an SMTP server inside the api process that takes any
 * message without authentication, stores it in `sandbox_messages` and
 * forwards nothing, so a fresh install can send campaigns and see exactly
 * what recipients would get. It answers 250 only once the message is stored.
 * It listens on loopback by default (HERALD_SANDBOX_SMTP_BIND): it is a sink,
 * never a relay, but it is unauthenticated.
 */
@Injectable()
export class SandboxInbox implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SandboxInbox.name);
  private server: SMTPServer | undefined;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly sandboxAddress: SandboxAddress,
    private readonly messages: SandboxMessages,
    private readonly senders: SendersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.HERALD_SANDBOX_ENABLED) return;
    await this.senders.seedSandboxSender();
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Where the inbox listens, or undefined when it does not run in this process. */
  address(): AddressInfo | undefined {
    return (this.server?.server.address() as AddressInfo | null | undefined) ?? undefined;
  }

  get port(): number | undefined {
    return this.address()?.port;
  }

  private async listen(): Promise<void> {
    const server = new SMTPServer({
      name: 'sandbox.herald.test',
      banner: 'Herald sandbox inbox: mail is kept here and never delivered',
      logger: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      size: SANDBOX_MAX_MESSAGE_BYTES,
      // Pooled senders keep connections open; shutting down waits for them this long, not 30 s.
      closeTimeout: 2000,
      onData: (stream, session, callback) => {
        this.receive(stream, session).then(
          (id) => callback(null, `Kept in the sandbox inbox as message ${id}`),
          (error: SmtpReplyError) => callback(error),
        );
      },
    });
    server.on('error', (error) => this.logger.warn({ err: error }, 'sandbox.smtp_error'));
    const bind = this.config.HERALD_SANDBOX_SMTP_BIND;
    const port = this.config.HERALD_SANDBOX_SMTP_PORT;
    try {
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(port, bind, () => {
          server.server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
      // Another api process on this host runs it already; the sandbox sender reaches that one.
      this.logger.warn({ bind, port }, 'sandbox.port_in_use');
      return;
    }
    this.server = server;
    const bound = (server.server.address() as AddressInfo).port;
    this.sandboxAddress.listening(bound);
    this.logger.log({ bind, port: bound }, 'sandbox.listening');
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const data = await readMessageData(stream, SANDBOX_MAX_MESSAGE_BYTES);
    const envelope = {
      from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
      to: session.envelope.rcptTo.map((r) => r.address),
    };
    try {
      return await this.messages.store(envelope, data);
    } catch (error) {
      this.logger.error({ err: error }, 'sandbox.store_failed');
      throw smtpReply(451, '4.3.0', 'The sandbox inbox could not store the message; try again later');
    }
  }
}
