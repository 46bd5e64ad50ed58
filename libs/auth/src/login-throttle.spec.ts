import { describe, expect, it } from 'vitest';
import { clientOf } from './login-throttle.js';

describe('clientOf', () => {
  it('counts an IPv4 client by its address, however it reached the socket', () => {
    expect(clientOf('203.0.113.7')).toBe('203.0.113.7');
    expect(clientOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts an IPv6 client by its /64, however the address is written', () => {
    expect(clientOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:DB8:1:2::9')).toBe('2001:db8:1:2::/64');
    expect(clientOf('fe80::1%eth0')).toBe('fe80::/64');
    expect(clientOf('2001:db8:1:3::1')).not.toBe(clientOf('2001:db8:1:2::1'));
  });

  it('keeps what is not an address as it is', () => {
    expect(clientOf('unknown')).toBe('unknown');
  });
});
