import { Controller, Post } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { ApiConsumes } from '@nestjs/swagger';
import type { Request } from 'express';
import { describe, expect, it } from 'vitest';
import { AcceptsCrossSite, CrossSiteGuard } from './cross-site.js';
import { Public } from './public.decorator.js';

@Controller()
class Routes {
  @Public()
  @AcceptsCrossSite()
  @ApiConsumes('application/x-www-form-urlencoded', 'multipart/form-data')
  @Post('u/:token')
  oneClickUnsubscribe() {}

  // Exempt but signed in: the exemption must not apply.
  @AcceptsCrossSite()
  @Post('api-keys')
  signedIn() {}

  @Post('lists')
  json() {}
}

function request(headers: Record<string, string>, method = 'POST'): Request {
  return {
    method,
    headers,
    protocol: 'http',
    get: (name: string) => (name.toLowerCase() === 'host' ? 'herald.internal:3000' : undefined),
  } as unknown as Request;
}

const guard = new CrossSiteGuard(new Reflector(), 'https://mail.example.org/');
const check = (route: keyof Routes, headers: Record<string, string>, method?: string) =>
  guard.canActivate(new ExecutionContextHost([request(headers, method)], Routes, Routes.prototype[route]));

const form = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '26' };

describe('CrossSiteGuard', () => {
  it('lets a public route marked @AcceptsCrossSite take form posts from any site', () => {
    expect(check('oneClickUnsubscribe', { ...form, origin: 'https://mail.provider.example' })).toBe(true);
    expect(check('oneClickUnsubscribe', { ...form, 'sec-fetch-site': 'cross-site', cookie: 'x=1' })).toBe(true);
  });

  it('ignores @AcceptsCrossSite on a route that is not public', () => {
    expect(() => check('signedIn', { origin: 'https://evil.example', cookie: 'herald_session=abc' })).toThrow(
      /cross-site/,
    );
  });

  it('accepts the Origin of PUBLIC_URL and the request’s own, and refuses others and "null"', () => {
    expect(check('json', { origin: 'https://mail.example.org', cookie: 's=1' })).toBe(true);
    expect(check('json', { origin: 'http://herald.internal:3000', cookie: 's=1' })).toBe(true);
    for (const origin of ['https://mail.example.org.evil.example', 'http://mail.example.org', 'null']) {
      expect(() => check('json', { origin, cookie: 's=1' }), origin).toThrow(/Origin/);
    }
  });

  it('reads Sec-Fetch-Site when there is no Origin, and refuses a cookie with neither', () => {
    expect(check('json', { 'sec-fetch-site': 'same-origin', cookie: 's=1' })).toBe(true);
    expect(() => check('json', { 'sec-fetch-site': 'same-site', cookie: 's=1' })).toThrow(/same-site/);
    expect(() => check('json', { cookie: 's=1' })).toThrow(/neither Origin nor Sec-Fetch-Site/);
    expect(check('json', {})).toBe(true); // a script without a cookie: nothing a browser could forge
  });

  it('leaves safe methods and requests with an Authorization header alone', () => {
    expect(check('json', { origin: 'https://evil.example', cookie: 's=1' }, 'GET')).toBe(true);
    expect(check('json', { origin: 'https://evil.example', authorization: 'Bearer hk_x' })).toBe(true);
  });

  it('holds bodies to the documented types, application/json by default', () => {
    expect(check('oneClickUnsubscribe', { ...form, 'content-type': 'multipart/form-data; boundary=x' })).toBe(true);
    expect(() => check('json', { ...form, authorization: 'Bearer hk_x' })).toThrow(/application\/json/);
    expect(() => check('oneClickUnsubscribe', { 'content-type': 'application/json', 'content-length': '2' })).toThrow(
      /x-www-form-urlencoded/,
    );
    expect(check('json', { 'content-type': 'application/json; charset=utf-8', 'content-length': '2' })).toBe(true);
    expect(check('json', { 'content-type': 'text/plain' })).toBe(true); // no body, nothing parsed
  });
});
