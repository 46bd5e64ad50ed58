import { type CanActivate, type ExecutionContext, SetMetadata, UnsupportedMediaTypeException } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { DECORATORS } from '@nestjs/swagger';
import type { Request } from 'express';
import { DomainError } from '../errors.js';
import { IS_PUBLIC } from './public.decorator.js';

export const ACCEPTS_CROSS_SITE = 'herald:accepts-cross-site';

/**
 * Exempts a public, cookie-free route from the same-origin check: endpoints
 * that other sites and mail clients post to by design, such as the RFC 8058
 * one-click unsubscribe (`POST /u/:token`) or a sign-up form on the
 * marketer's own website. Such a route must act only on what its own token or
 * body proves, never on a session, so the exemption applies only together
 * with `@Public()`; on a signed-in route it is ignored.
 */
export const AcceptsCrossSite = () => SetMetadata(ACCEPTS_CROSS_SITE, true);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SAME_ORIGIN_FETCH = new Set(['same-origin', 'none']);
const DEFAULT_BODY_TYPES = ['application/json'];

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

const mediaType = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * Stops cross-site request forgery at the edge, before any handler runs or any upload is read.
 *
 * An unsafe request (POST, PUT, PATCH, DELETE) that a browser could have sent
 * on its own from another site must prove it comes from Herald's own pages:
 * its `Origin` is PUBLIC_URL's or the request's own; without `Origin`,
 * `Sec-Fetch-Site` says same-origin; without either, it carries no cookie (a
 * script signing in). A request with an `Authorization` header is exempt:
 * browsers never attach one across sites without a CORS preflight, which
 * Herald does not grant, so such a request is never a forged one. Sign-in is
 * checked too, so that no page can sign a visitor into an attacker's account.
 *
 * Bodies are held to the types a route documents with `@ApiConsumes`
 * (`application/json` when it documents none): an HTML form cannot send JSON,
 * so a JSON route that refuses form bodies cannot be reached by a forged form.
 */
export class CrossSiteGuard implements CanActivate {
  private readonly publicOrigin: string;

  constructor(
    private readonly reflector: Reflector,
    publicUrl: string,
  ) {
    this.publicOrigin = new URL(publicUrl).origin;
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (SAFE_METHODS.has(req.method)) return true;
    const targets = [context.getHandler(), context.getClass()];
    const exempt =
      this.reflector.getAllAndOverride<boolean>(ACCEPTS_CROSS_SITE, targets) &&
      this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets);
    if (!exempt && req.headers.authorization === undefined) this.checkOrigin(req);
    this.checkBodyType(req, this.reflector.getAllAndOverride<string[]>(DECORATORS.API_CONSUMES, targets));
    return true;
  }

  private checkBodyType(req: Request, documented: string[] | undefined): void {
    if (!hasBody(req)) return;
    const accepted = documented?.length ? documented : DEFAULT_BODY_TYPES;
    const type = mediaType(req.headers['content-type']);
    if (!accepted.includes(type)) {
      throw new UnsupportedMediaTypeException({
        message: `This endpoint takes ${accepted.join(' or ')} bodies, not ${type ? `"${type.slice(0, 100)}"` : 'an untyped body'}`,
        fields: { 'content-type': `must be ${accepted.join(' or ')}` },
      });
    }
  }

  private checkOrigin(req: Request): void {
    const refuse = (why: string) => {
      throw new DomainError(
        'forbidden',
        `Refused a cross-site request: ${why}. Requests signed in by cookie, and sign-ins, must come from ` +
          `Herald's own pages (${this.publicOrigin}); scripts and other sites send an API key as ` +
          '"Authorization: Bearer <key>"',
      );
    };
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const own = `${req.protocol}://${req.get('host') ?? ''}`;
      if (origin !== this.publicOrigin && origin !== own)
        refuse(`its Origin ${JSON.stringify(origin.slice(0, 100))} is another site`);
      return;
    }
    const fetchSite = req.headers['sec-fetch-site'];
    if (typeof fetchSite === 'string') {
      if (!SAME_ORIGIN_FETCH.has(fetchSite)) refuse(`the browser reports it as ${fetchSite.slice(0, 20)}`);
      return;
    }
    if (req.headers.cookie !== undefined) refuse('it carries a cookie but neither Origin nor Sec-Fetch-Site');
  }
}
