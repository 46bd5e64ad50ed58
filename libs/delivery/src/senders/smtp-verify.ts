import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import type { SenderSecurity } from './sender.js';

export interface SmtpTarget {
  host: string;
  port: number;
  security: SenderSecurity;
  username: string | null;
  password: string | null;
}

/** How far the conversation got: `ready` when it all worked, else the step that failed. */
export type VerifyStage = 'connect' | 'tls' | 'auth' | 'ready';

export interface VerifyResult {
  ok: boolean;
  stage: VerifyStage;
  /** What happened, in a marketer's words. */
  message: string;
  /** The server's own reply, or the low-level error, for whoever runs the server. */
  reply: string | null;
}

interface SmtpError {
  code?: string;
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
}

/** Node's TLS certificate errors (a self-signed, expired or misnamed certificate). */
const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME/;

/** nodemailer's transport options for a sender's security mode; the sender pool uses the same mapping. */
export function transportOptions(target: SmtpTarget, timeoutMs: number) {
  return {
    host: target.host,
    port: target.port,
    secure: target.security === 'tls',
    requireTLS: target.security === 'starttls',
    ignoreTLS: target.security === 'none',
    auth: target.username ? { user: target.username, pass: target.password ?? '' } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // SNI carries names only (RFC 6066); an IP address is checked against the certificate without it.
    tls: isIP(target.host) ? {} : { servername: target.host },
    logger: false,
    debug: false,
  };
}

/**
 * Connects to a sender's server as sending would (TLS as configured, then
 * AUTH when the sender has a username) and says in plain words what
 * happened. Never throws.
 */
export async function verifySmtp(target: SmtpTarget, timeoutMs: number): Promise<VerifyResult> {
  const transport = nodemailer.createTransport(transportOptions(target, timeoutMs));
  try {
    await transport.verify();
    return {
      ok: true,
      stage: 'ready',
      message: target.username
        ? `Connected to ${target.host}:${target.port} and signed in as ${target.username}: this sender is ready.`
        : `Connected to ${target.host}:${target.port}: this sender is ready (it signs in with no username).`,
      reply: null,
    };
  } catch (error) {
    return { ok: false, ...explain(error as SmtpError, target, timeoutMs) };
  } finally {
    transport.close();
  }
}

/** Exported for tests: the stage and words for one nodemailer error. */
export function explain(error: SmtpError, target: SmtpTarget, timeoutMs: number): Omit<VerifyResult, 'ok'> {
  const code = error.code ?? '';
  const cause = error.originalCode ?? '';
  const reply = error.response ?? error.message ?? null;
  const at = `${target.host}:${target.port}`;
  const result = (stage: VerifyStage, message: string) => ({ stage, message, reply });

  if (code === 'EAUTH') {
    if (error.command === 'API') {
      return result('auth', 'The server asks for a username and password, but this sender has none.');
    }
    return result(
      'auth',
      'The server refused the username or password. Check both, and that the account may send mail.',
    );
  }
  if (CERTIFICATE_CODES.test(cause) || CERTIFICATE_CODES.test(code)) {
    return result(
      'tls',
      `The server's certificate is not trusted (${cause || code}): it may be self-signed, expired, or issued for another name than ${target.host}.`,
    );
  }
  if (
    code === 'ETLS' ||
    cause === 'EPROTO' ||
    /wrong version number|ssl3_get_record|packet length too long/i.test(error.message ?? '')
  ) {
    if (error.command === 'STARTTLS' && error.responseCode) {
      return result(
        'tls',
        'The server does not offer STARTTLS encryption on this port. Use the port your provider gives for TLS (often 465 with security "tls" or 587 with "starttls").',
      );
    }
    return result(
      'tls',
      `The encrypted connection failed. The port may expect another security setting: 465 usually means "tls", 587 and 25 "starttls".`,
    );
  }
  if (code === 'ETIMEDOUT' || cause === 'ETIMEDOUT') {
    return result(
      'connect',
      `${at} did not answer within ${Math.round(timeoutMs / 1000)} s. A firewall may block the port, or the server is down.`,
    );
  }
  if (code === 'EDNS' || cause === 'ENOTFOUND' || cause === 'EAI_AGAIN') {
    return result('connect', `The host ${target.host} was not found. Check the spelling of the server name.`);
  }
  if (cause === 'ECONNREFUSED') {
    return result('connect', `Nothing accepts connections at ${at}. Check the host and the port.`);
  }
  if (cause === 'EHOSTUNREACH' || cause === 'ENETUNREACH') {
    return result('connect', `${at} cannot be reached from this server (no route to it).`);
  }
  if (cause === 'ECONNRESET' || code === 'ECONNECTION') {
    return result('connect', `${at} closed the connection. The port may expect another security setting.`);
  }
  return result('connect', `The connection to ${at} failed.`);
}
