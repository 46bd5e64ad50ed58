export type SenderSecurity = 'none' | 'starttls' | 'tls';
export const SENDER_SECURITIES: SenderSecurity[] = ['none', 'starttls', 'tls'];

export type SenderKind = 'smtp' | 'sandbox';

export interface DkimKey {
  domain: string;
  selector: string;
  privateKey: string;
}

/** A sender with its secrets decrypted: only for the sending path, never serialised to HTTP or logs. */
export interface SendingSender {
  id: string;
  kind: SenderKind;
  name: string;
  host: string;
  port: number;
  security: SenderSecurity;
  username: string | null;
  password: string | null;
  fromEmail: string;
  fromName: string | null;
  replyTo: string | null;
  postalAddress: string;
  ratePerSecond: number;
  dailyLimit: number | null;
  timeZone: string;
  poolSize: number;
  dkim: DkimKey | null;
  disabledReason: string | null;
}
