import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { invalid } from '@herald/common';

/** Shorter RSA keys are refused by Gmail and others; longer ones than 4096 do not fit a TXT record well. */
const MIN_BITS = 1024;
const MAX_BITS = 4096;

export interface DkimKeyPair {
  /** PKCS#8 PEM, as stored (sealed) and handed to the signer. */
  privateKeyPem: string;
  /** The base64 DER (SubjectPublicKeyInfo) that goes after `p=` in the DNS record. */
  publicKey: string;
}

/** A fresh RSA 2048 key pair: long enough for every receiver, short enough for a single TXT string set. */
export function generateDkimKey(): DkimKeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return describe(privateKey);
}

/**
 * An uploaded private key: PEM (PKCS#1 or PKCS#8), RSA, 1024 to 4096 bits,
 * not encrypted with a passphrase. Anything else is a 400 naming the field.
 */
export function parseDkimKey(pem: string, field = 'dkimPrivateKey'): DkimKeyPair {
  let key: KeyObject;
  try {
    if (!pem.includes('-----BEGIN')) throw new Error('not PEM');
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw invalid(
      `${field} must be an RSA private key in PEM form (-----BEGIN PRIVATE KEY-----), without a passphrase`,
      {
        [field]: 'not an RSA private key in PEM form',
      },
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw invalid(`${field} must be an RSA key; DKIM with rsa-sha256 is what every receiver checks`, {
      [field]: `is a ${key.asymmetricKeyType ?? 'unknown'} key, not RSA`,
    });
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_BITS || bits > MAX_BITS) {
    throw invalid(`${field} must be an RSA key of ${MIN_BITS} to ${MAX_BITS} bits (2048 recommended)`, {
      [field]: `is ${bits} bits`,
    });
  }
  return describe(key);
}

function describe(privateKey: KeyObject): DkimKeyPair {
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKey: createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

/** The DNS TXT record that publishes a DKIM public key. */
export function dkimRecord(domain: string, selector: string, publicKey: string): { name: string; value: string } {
  return { name: `${selector}._domainkey.${domain}`, value: `v=DKIM1; k=rsa; p=${publicKey}` };
}
