export type SenderSecurity = 'none' | 'starttls' | 'tls';
/** A sender with its secrets decrypted: only for the sending path, never serialised to HTTP or logs. */
export interface SendingSender {
  id: string;
  kind: 'smtp' | 'sandbox';
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
  dkim: { domain: string; selector: string; privateKey: string } | null;
  disabledReason: string | null;
}
