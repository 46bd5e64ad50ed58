import { AppSecret, MessageTokens, Public } from '@herald/common';
import { parseClickToken } from '@herald/templates';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { TrackingEvents } from './events/tracking-events.js';
import { type TrackedMessage, TrackedMessages } from './message-source.js';
import { batchedLookup } from './batched-lookup.js';
import { notFoundPage } from './pages/not-found.js';
import { pickLanguage, sendPage } from './pages/page.js';

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** What the rest of the headers of a response about one message say: never stored, no referrer with the token. */
const PRIVATE = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff' };

/**
 * The web view shows the message as sent: its images and styles may come
 * from anywhere, but nothing runs, nothing is posted and nothing frames it.
 */
const WEB_VIEW_CSP =
  "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline' https:; font-src https: data:; " +
  "form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

const HTML_404 = {
  status: 404,
  description:
    'The token is not valid (forged, altered, truncated or of no message) or the link does not exist: a plain HTML page',
  content: { 'text/html': { schema: { type: 'string' } } },
};

/** Messages a process remembers from earlier lookups, so that their clicks answer while Postgres does not. */
const KNOWN_MESSAGES = 20_000;

const maxUserAgent = (req: Request): string | null => {
  const agent = req.headers['user-agent'];
  return typeof agent === 'string' ? agent.slice(0, 500) : null;
};

/**
 * The public routes a recipient's mail client and browser reach: the open
 * pixel, tracked links and the web view. They answer from the token alone
 * wherever they can; opens and clicks go to `TrackingEvents` and are
 * written after the answer. Anything wrong with a token gets the same 404
 * page and records nothing. The access log names only the route pattern,
 * never the token.
 */
@ApiTags('tracking')
@Public()
@Controller()
export class TrackingController {
  private tokens: MessageTokens | undefined;
  /** Messages found before (they never change once sent): a repeated click needs no lookup. */
  private readonly known = new Map<string, TrackedMessage>();

  constructor(
    private readonly secret: AppSecret,
    private readonly messages: TrackedMessages,
    private readonly events: TrackingEvents,
  ) {}

  @Get('t/o/:token')
  @ApiOperation({
    summary: 'Open pixel: a 1×1 GIF, never cached (also answers HEAD, recorded as a machine open)',
    description:
      'Answers without waiting for the database; the open is written in the next batch. A token that verifies ' +
      'but whose message was deleted gets the pixel and records nothing.',
  })
  @ApiParam({ name: 'token', description: 'The message token (22 characters)' })
  @ApiResponse({
    status: 200,
    description: 'The pixel',
    content: { 'image/gif': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiResponse(HTML_404)
  open(@Param('token') token: string, @Req() req: Request, @Res() res: Response): void {
    const messageId = this.verify(token);
    if (messageId === null) return this.notFound(req, res);
    this.events.record({
      type: 'open',
      messageId,
      linkIndex: null,
      method: req.method === 'HEAD' ? 'HEAD' : 'GET',
      userAgent: maxUserAgent(req),
      at: new Date(),
    });
    res
      .status(200)
      .set({ ...PRIVATE, 'Content-Type': 'image/gif', 'Content-Length': String(PIXEL.length) })
      .end(PIXEL);
  }

  @Get('t/c/:token.:index')
  @ApiOperation({
    summary:
      'Tracked link: 302 to the link stored for the campaign, or for a relayed or API message with it (never a URL taken from the request)',
  })
  @ApiParam({ name: 'token', description: 'The message token (22 characters)' })
  @ApiParam({ name: 'index', description: 'The link number in the campaign, or in the relayed or API message' })
  @ApiResponse({ status: 302, description: 'To the link, personalised for the recipient' })
  @ApiResponse(HTML_404)
  async click(
    @Param('token') token: string,
    @Param('index') index: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const parsed = parseClickToken(`${token}.${index}`);
    const messageId = parsed === null ? null : this.verify(parsed.token);
    const message = messageId === null ? undefined : await this.find(messageId);
    const url = message === undefined || parsed === null ? null : await this.messages.linkUrl(message, parsed.index);
    if (message === undefined || parsed === null || url === null) return this.notFound(req, res);
    this.events.record({
      type: 'click',
      messageId: message.id,
      linkIndex: parsed.index,
      method: req.method === 'HEAD' ? 'HEAD' : 'GET',
      userAgent: maxUserAgent(req),
      at: new Date(),
    });
    res.set(PRIVATE).redirect(302, url);
  }

  @Get('w/:token')
  @ApiOperation({ summary: 'Web view: the message as sent, without the open pixel; scripts cannot run' })
  @ApiParam({ name: 'token', description: 'The message token (22 characters)' })
  @ApiResponse({
    status: 200,
    description: 'The message as HTML',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiResponse(HTML_404)
  async webView(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const messageId = this.verify(token);
    const message = messageId === null ? undefined : await this.find(messageId);
    const view = message === undefined ? null : await this.messages.source.webView(message);
    if (view === null) return this.notFound(req, res);
    res
      .status(200)
      .set({
        ...PRIVATE,
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': WEB_VIEW_CSP,
        'X-Robots-Tag': 'noindex, nofollow',
      })
      .send(view.html);
  }

  private verify(token: string): string | null {
    this.tokens ??= new MessageTokens(this.secret.value);
    return this.tokens.verify(token);
  }

  /** Concurrent clicks and web views share their message lookups (`batchedLookup`). */
  private readonly lookup = batchedLookup<TrackedMessage>((ids) => this.messages.source.find(ids));

  private async find(messageId: string): Promise<TrackedMessage | undefined> {
    const known = this.known.get(messageId);
    // A message not yet accepted may still get its sentAt: only sent ones are remembered.
    if (known !== undefined) return known;
    const found = await this.lookup(messageId);
    if (found?.sentAt != null) {
      if (this.known.size >= KNOWN_MESSAGES) this.known.clear();
      this.known.set(messageId, found);
    }
    return found;
  }

  private notFound(req: Request, res: Response): void {
    sendPage(res, 404, notFoundPage(pickLanguage(req.headers['accept-language'])));
  }
}
