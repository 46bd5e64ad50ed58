import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { AllowedHosts, guardedLookup, isPublicAddress } from './address-guard.js';

describe('isPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '100.64.0.1',
    '169.254.169.254',
    '0.0.0.0',
    '224.0.0.251',
    '239.255.255.250',
    '255.255.255.255',
    '192.0.2.1',
    '198.18.0.1',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a00:1',
    '2002:7f00:1::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'ff02::1',
    '2001:db8::1',
    'not an address',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    'accepts %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );
});

/** Runs the guarded lookup with `answers` as what DNS says, one answer per query. */
function lookupWith(answers: LookupAddress[][], all: boolean) {
  let query = 0;
  const lookup = guardedLookup((_host, _options, callback) => callback(null, answers[query++]));
  return new Promise<{ err: Error | null; result: unknown }>((resolve) =>
    lookup('rebind.example', { all }, (err: Error | null, result: unknown) => resolve({ err, result })),
  );
}

describe('guardedLookup', () => {
  it('hands the connection the public addresses it checked', async () => {
    const single = await lookupWith([[{ address: '93.184.215.14', family: 4 }]], false);
    expect(single).toEqual({ err: null, result: '93.184.215.14' });
    const all = await lookupWith([[{ address: '2606:4700::1111', family: 6 }]], true);
    expect(all).toEqual({ err: null, result: [{ address: '2606:4700::1111', family: 6 }] });
  });

  it('refuses a name whose answer now is loopback, though it was public before (DNS rebinding)', async () => {
    let query = 0;
    const answers = [[{ address: '93.184.215.14', family: 4 }], [{ address: '127.0.0.1', family: 4 }]];
    const lookup = guardedLookup((_h, _o, callback) => callback(null, answers[query++]));
    const outcomes: (Error | null)[] = [];
    for (let i = 0; i < 2; i++)
      outcomes.push(await new Promise((resolve) => lookup('rebind.example', {}, (err: Error | null) => resolve(err))));
    expect(outcomes[0]).toBeNull();
    expect(outcomes[1]?.message).toBe('rebind.example resolves to 127.0.0.1, not a public address');
  });

  it('refuses a name with any non-public address among public ones', async () => {
    const { err } = await lookupWith(
      [
        [
          { address: '93.184.215.14', family: 4 },
          { address: '10.0.0.7', family: 4 },
        ],
      ],
      true,
    );
    expect(err?.message).toContain('10.0.0.7');
  });
});

describe('AllowedHosts', () => {
  it('matches a host, or a host and port, as the URL names it', () => {
    const allowed = new AllowedHosts(' Localhost , 127.0.0.1:8080,[::1]:9000');
    expect(allowed.allows(new URL('http://localhost/x'))).toBe(true);
    expect(allowed.allows(new URL('https://LOCALHOST:444/x'))).toBe(true);
    expect(allowed.allows(new URL('http://127.0.0.1:8080/x'))).toBe(true);
    expect(allowed.allows(new URL('http://127.0.0.1:8081/x'))).toBe(false);
    expect(allowed.allows(new URL('http://127.0.0.1/x'))).toBe(false);
    expect(allowed.allows(new URL('http://[::1]:9000/x'))).toBe(true);
    expect(allowed.allows(new URL('http://localhost.evil.example/x'))).toBe(false);
    expect(new AllowedHosts(undefined).allows(new URL('http://localhost/x'))).toBe(false);
  });
});
