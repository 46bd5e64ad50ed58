import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from './self-signed.js';
import { serverCertificate } from './server-certificate.js';

const variables = { certVariable: 'HERALD_X_CERT_FILE', keyVariable: 'HERALD_X_KEY_FILE' };

describe('serverCertificate', () => {
  let dir: string;
  const pair = selfSignedCertificate('mx.example.org');
  const other = selfSignedCertificate('mx.example.org');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-certificate-'));
    await writeFile(join(dir, 'cert.pem'), pair.cert);
    await writeFile(join(dir, 'key.pem'), pair.key);
    await writeFile(join(dir, 'other-key.pem'), other.key);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('takes the pair of the files', () => {
    const loaded = serverCertificate('ignored.example.org', {
      ...variables,
      certFile: join(dir, 'cert.pem'),
      keyFile: join(dir, 'key.pem'),
    });
    expect(loaded).toEqual({ ...pair, selfSigned: false });
  });

  it('refuses a key that is not the certificate’s, and one file without the other, naming the variables', () => {
    expect(() =>
      serverCertificate('mx.example.org', {
        ...variables,
        certFile: join(dir, 'cert.pem'),
        keyFile: join(dir, 'other-key.pem'),
      }),
    ).toThrow('HERALD_X_KEY_FILE is not the key of HERALD_X_CERT_FILE');
    expect(() =>
      serverCertificate('mx.example.org', { ...variables, certFile: join(dir, 'cert.pem'), keyFile: undefined }),
    ).toThrow('Set both HERALD_X_CERT_FILE and HERALD_X_KEY_FILE, or neither');
  });

  it('makes a self-signed pair for the host name without files', () => {
    const made = serverCertificate('mx.example.org', { ...variables, certFile: undefined, keyFile: undefined });
    expect(made.selfSigned).toBe(true);
    expect(new X509Certificate(made.cert).subjectAltName).toBe('DNS:mx.example.org, DNS:localhost');
  });
});
