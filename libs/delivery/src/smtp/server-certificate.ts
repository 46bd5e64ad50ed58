import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { selfSignedCertificate } from './self-signed.js';

/** Where an SMTP server's certificate and key come from, and the variables that named them (for errors). */
export interface CertificateFiles {
  certFile: string | undefined;
  keyFile: string | undefined;
  certVariable: string;
  keyVariable: string;
}

/**
 * The PEM pair an SMTP server offers for STARTTLS or implicit TLS: the
 * operator's files, checked to load and to belong together, else a fresh
 * self-signed pair for `hostname` (`selfSigned` says which, for the log).
 * Only one of the two files set stops the start.
 */
export function serverCertificate(
  hostname: string,
  files: CertificateFiles,
): { cert: string; key: string; selfSigned: boolean } {
  const { certFile, keyFile, certVariable, keyVariable } = files;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new Error(`Set both ${certVariable} and ${keyVariable}, or neither`);
  }
  if (certFile === undefined || keyFile === undefined) return { ...selfSignedCertificate(hostname), selfSigned: true };
  const pair = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  if (!new X509Certificate(pair.cert).checkPrivateKey(createPrivateKey(pair.key))) {
    throw new Error(`${keyVariable} is not the key of ${certVariable}`);
  }
  return { ...pair, selfSigned: false };
}
