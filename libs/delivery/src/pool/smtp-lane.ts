import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SecureContextOptions } from 'node:tls';

export interface LaneSettings {
  host: string;
  port: number;
  security: 'none' | 'starttls' | 'tls';
  auth: { user: string; pass: string } | undefined;
  connectionTimeoutMs: number;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
  tls?: SecureContextOptions & { rejectUnauthorized?: boolean };
}

/** What nodemailer puts on its errors (smtp-connection `_formatError`). */
export interface SmtpError extends Error {
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  /** Set here: the whole message, final `.` included, had been written to the connection. */
  afterData?: boolean;
  /** Set here: the connection had carried messages before this one. */
  reused?: boolean;
}

/** The one internal of nodemailer relied on: the stream that writes DATA (and the final dot) to the socket. */
interface SendStreamHook {
  _createSendStream(callback: unknown): NodeJS.ReadableStream;
}

/**
 * One SMTP connection that carries messages one after the other. nodemailer's
 * connection does the protocol (STARTTLS, AUTH, pipelining, dot-stuffing);
 * the lane adds what its pool cannot say: whether a connection lost without
 * a reply was lost before the final `.` (the server cannot have the message)
 * or after it (it may). Its DATA stream ends only when every byte, the final
 * dot included, has been written to the socket.
 */
export class SmtpLane {
  busy = false;
  closed = false;
  messages = 0;
  private readonly connection: SMTPConnection;
  private dataEnded = false;

  private constructor(connection: SMTPConnection) {
    this.connection = connection;
    const hook = connection as unknown as SendStreamHook;
    if (typeof hook._createSendStream !== 'function') {
      throw new Error('nodemailer changed: SMTPConnection._createSendStream is missing');
    }
    const create = hook._createSendStream.bind(connection);
    hook._createSendStream = (callback) => {
      const stream = create(callback);
      stream.once('end', () => {
        this.dataEnded = true;
      });
      return stream;
    };
    connection.on('error', () => undefined);
    connection.once('end', () => {
      this.closed = true;
    });
  }

  /** Connects, upgrades and logs in; rejects with the nodemailer error. */
  static open(settings: LaneSettings): Promise<SmtpLane> {
    const connection = new SMTPConnection({
      host: settings.host,
      port: settings.port,
      secure: settings.security === 'tls',
      requireTLS: settings.security === 'starttls',
      ignoreTLS: settings.security === 'none',
      connectionTimeout: settings.connectionTimeoutMs,
      greetingTimeout: settings.greetingTimeoutMs,
      socketTimeout: settings.socketTimeoutMs,
      tls: settings.tls,
      logger: false,
    });
    let lane: SmtpLane;
    try {
      lane = new SmtpLane(connection);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise((resolve, reject) => {
      let done = false;
      const fail = (error: Error) => {
        if (done) return;
        done = true;
        lane.closed = true;
        connection.close();
        reject(error);
      };
      connection.once('error', fail);
      connection.once('end', () => fail(Object.assign(new Error('Connection closed'), { code: 'ECONNECTION' })));
      connection.connect((error) => {
        if (error) return fail(error);
        if (settings.auth === undefined) {
          done = true;
          return resolve(lane);
        }
        connection.login({ credentials: settings.auth }, (loginError) => {
          if (loginError) return fail(loginError);
          done = true;
          resolve(lane);
        });
      });
    });
  }

  /** Sends one message; a failure is the nodemailer error with `afterData` and `reused` set. */
  send(envelope: { from: string; to: string }, raw: Buffer): Promise<string> {
    this.dataEnded = false;
    const reused = this.messages > 0;
    this.messages += 1;
    return new Promise((resolve, reject) => {
      this.connection.send({ from: envelope.from, to: [envelope.to] }, raw, (error, info) => {
        if (error) {
          const e = error as SmtpError;
          e.afterData = this.dataEnded;
          e.reused = reused;
          return reject(e);
        }
        resolve(info.response ?? '250');
      });
    });
  }

  /** After a refused envelope or message the session is reset and the connection kept. */
  reset(): Promise<boolean> {
    return new Promise((resolve) => {
      this.connection.reset((error) => resolve(!error));
    });
  }

  quit(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.quit();
  }

  close(): void {
    this.closed = true;
    this.connection.close();
  }
}
