import { DomainError } from '@herald/common';
import { createPublicKey, createSign, createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dkimRecord, generateDkimKey, parseDkimKey } from './dkim.js';

const fieldOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return Object.keys(error.fields ?? {})[0];
    throw error;
  }
  return undefined;
};

describe('DKIM keys', () => {
  it('generates an RSA 2048 pair whose published key verifies its signatures', () => {
    const pair = generateDkimKey();
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const published = createPublicKey({ key: Buffer.from(pair.publicKey, 'base64'), format: 'der', type: 'spki' });
    expect(published.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const signature = createSign('sha256').update('hello').sign(pair.privateKeyPem);
    expect(createVerify('sha256').update('hello').verify(published, signature)).toBe(true);
  });

  it('takes an uploaded PKCS#1 or PKCS#8 RSA key and derives its public key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const expected = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    for (const type of ['pkcs1', 'pkcs8'] as const) {
      const pem = privateKey.export({ format: 'pem', type }).toString();
      expect(parseDkimKey(pem).publicKey).toBe(expected);
    }
  });

  it('refuses what is not an unencrypted RSA key of a usable size, naming the field', () => {
    const ed = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const small = generateKeyPairSync('rsa', { modulusLength: 512 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    const encrypted = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' })
      .toString();
    for (const pem of [
      'garbage',
      ed,
      small,
      encrypted,
      '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
    ]) {
      expect(fieldOf(() => parseDkimKey(pem))).toBe('dkimPrivateKey');
    }
  });

  it('writes the TXT record receivers look up', () => {
    expect(dkimRecord('example.com', 'herald', 'MIIB')).toEqual({
      name: 'herald._domainkey.example.com',
      value: 'v=DKIM1; k=rsa; p=MIIB',
    });
  });
});
