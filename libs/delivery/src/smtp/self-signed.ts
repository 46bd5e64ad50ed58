import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';

/*
 * A self-signed certificate, so Herald's SMTP servers offer TLS without an
 * operator's files: fit for the relay in local use, and for the inbound
 * listener anywhere (TLS between MX servers is opportunistic and rarely
 * verified). Node can make keys but not certificates; the few DER
 * structures of one X.509 v3 certificate are written here rather than
 * pulling in a PKI library for them.
 */

const der = (tag: number, content: Buffer): Buffer => {
  const n = content.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
};
const sequence = (...items: Buffer[]) => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => der(0x31, Buffer.concat(items));
const explicit = (n: number, item: Buffer) => der(0xa0 + n, item);

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const value of rest) {
    const chunk = [value & 0x7f];
    for (let v = value >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

/** A positive INTEGER from unsigned big-endian bytes. */
const integer = (bytes: Buffer) => der(0x02, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);

const utcTime = (date: Date) =>
  der(0x17, Buffer.from(date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z', 'ascii'));

const ECDSA_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));

/**
 * A serial number from 16 random bytes: positive, and with a first byte that
 * is never zero, so that its INTEGER needs no padding. A zero first byte
 * followed by one below 0x80 (one serial in 256) is not minimal DER, and
 * OpenSSL refuses the whole certificate.
 */
export function serialNumber(random: Buffer): Buffer {
  const serial = Buffer.from(random);
  serial[0] = 0x40 | (serial[0] & 0x3f);
  return serial;
}

/** A fresh P-256 key and a certificate for `hostname` (and localhost), valid from a day ago for `days`. */
export function selfSignedCertificate(
  hostname: string,
  days = 365,
  now = new Date(),
  random = randomBytes(16),
): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = sequence(set(sequence(oid('2.5.4.3'), der(0x0c, Buffer.from(hostname, 'utf8')))));
  const names = [...new Set([hostname, 'localhost'])].map((dns) => der(0x82, Buffer.from(dns, 'ascii')));
  const subjectAltName = sequence(oid('2.5.29.17'), der(0x04, sequence(...names)));
  const serial = serialNumber(random);
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ECDSA_SHA256,
    name,
    sequence(utcTime(new Date(now.getTime() - 86_400_000)), utcTime(new Date(now.getTime() + days * 86_400_000))),
    name,
    publicKey.export({ format: 'der', type: 'spki' }),
    explicit(3, sequence(subjectAltName)),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = sequence(tbs, ECDSA_SHA256, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const pem = `-----BEGIN CERTIFICATE-----\n${(certificate.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
  // Parsed back once: a mistake here fails the start, not every client's handshake.
  if (!new X509Certificate(pem).verify(publicKey)) throw new Error('the generated certificate does not verify');
  return { key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), cert: pem };
}
