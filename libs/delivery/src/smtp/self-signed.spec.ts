import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate, serialNumber } from './self-signed.js';

describe('selfSignedCertificate', () => {
  it('makes a certificate OpenSSL reads whatever the random serial bytes, zero first bytes included', () => {
    for (const random of [
      Buffer.alloc(16),
      Buffer.from([0, 0x7f, ...Array<number>(14).fill(1)]),
      Buffer.alloc(16, 0xff),
    ]) {
      const { cert } = selfSignedCertificate('relay.example.org', 30, new Date(), random);
      const parsed = new X509Certificate(cert);
      expect(parsed.subjectAltName).toBe('DNS:relay.example.org, DNS:localhost');
      expect(parsed.serialNumber).toMatch(/^[4-7][0-9A-F]{31}$/);
    }
  });

  it('keeps 126 of the 128 random bits of the serial', () => {
    expect(serialNumber(Buffer.from([0x00, 0x01]))).toEqual(Buffer.from([0x40, 0x01]));
    expect(serialNumber(Buffer.from([0xff, 0x01]))).toEqual(Buffer.from([0x7f, 0x01]));
    expect(serialNumber(Buffer.from([0x15, 0x01]))).toEqual(Buffer.from([0x55, 0x01]));
  });
});
