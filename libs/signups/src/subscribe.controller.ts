import { AcceptsCrossSite, DomainError, Public } from '@herald/common';
import { escapeHtml, type Language, type Page, pickLanguage, sendPage } from '@herald/tracking';
import { Body, Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiGoneResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { HONEYPOT } from './forms.service.js';
import { type Accepted, type Confirmation, SignupsService } from './signups.service.js';
import { say, type WordingKey } from './wording.js';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** For the OpenAPI document: the fields of a submission (form posts use the same names). */
class SubscribeBody {
  @ApiProperty({ example: 'jane@example.com' }) email: string;
  @ApiPropertyOptional({ example: 'Jane' }) firstName?: string;
  @ApiPropertyOptional({ example: 'Doe' }) lastName?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Values of declared fields (form posts: `attributes.<name>`)',
  })
  attributes?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Required when the form has consent wording (form posts: `consent=yes`)' })
  consent?: boolean;
  @ApiPropertyOptional({ name: HONEYPOT, description: 'The honeypot: must stay empty' })
  [HONEYPOT]?: string;
}

class AcceptedView {
  @ApiProperty({ example: 'accepted' }) status: 'accepted';
  @ApiProperty({ description: 'Whether the address is asked to confirm by email' }) doubleOptIn: boolean;
  @ApiProperty() message: string;
}

/** Errors a form post answers with a page; anything else (an outage) goes to the shared error filter. */
const PAGE_ERRORS = new Set(['invalid', 'rate_limited', 'not_found']);

const clientIp = (req: Request) => req.ip ?? req.socket.remoteAddress ?? '0.0.0.0';

/**
 * The public sign-up routes: the form post (or JSON) that any website may
 * send, and the confirmation link from the mail. A GET of the link only shows
 * a button (link scanners fetch every link in a mail); the POST confirms.
 */
@ApiTags('public')
@Public()
@Controller('subscribe')
export class SubscribeController {
  constructor(private readonly signups: SignupsService) {}

  @Post(':listId')
  @AcceptsCrossSite()
  @ApiConsumes(FORM, JSON_TYPE)
  @ApiBody({ type: SubscribeBody })
  @ApiOperation({
    summary: 'Sign up to a list through its form (an HTML form post from any site, or JSON)',
    description:
      'The answer is the same whatever the address: known, new or suppressed. Form posts get a page or a 303 to the ' +
      "form's success URL; JSON gets 202. Counted per client IP.",
  })
  @ApiAcceptedResponse({ type: AcceptedView, description: 'JSON: taken' })
  @ApiOkResponse({ description: 'Form post: a thank-you page', content: { 'text/html': {} } })
  @ApiResponse({ status: 303, description: "Form post: taken; to the form's success URL" })
  @ApiBadRequestResponse({ description: 'A field is missing or malformed; `fields` names it (form posts: a page)' })
  @ApiNotFoundResponse({ description: 'No enabled sign-up form for this list' })
  @ApiTooManyRequestsResponse({ description: 'Too many sign-ups from this client; see Retry-After' })
  async subscribe(
    @Param('listId') listId: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const form = req.is(JSON_TYPE) ? 'json' : 'form';
    const language = pickLanguage(req.headers['accept-language']);
    let accepted: Accepted;
    try {
      accepted = await this.signups.accept(listId, body, form, clientIp(req), language);
    } catch (error) {
      if (form === 'json' || !(error instanceof DomainError) || !PAGE_ERRORS.has(error.kind)) throw error;
      return this.formError(res, error, language);
    }
    const thanks = say(language, accepted.doubleOptIn ? 'thanksDoubleOptIn' : 'thanksSingleOptIn', {
      list: accepted.listName,
    });
    if (form === 'json') {
      res.status(202).json({ status: 'accepted', doubleOptIn: accepted.doubleOptIn, message: thanks });
    } else if (accepted.successUrl !== null) {
      res.redirect(303, accepted.successUrl);
    } else {
      sendPage(res, 200, {
        language,
        title: say(language, 'thanksTitle'),
        body: `<p>${say(language, accepted.doubleOptIn ? 'thanksDoubleOptIn' : 'thanksSingleOptIn', { list: accepted.listName }, escapeHtml)}</p>`,
      });
    }
  }

  @Get('confirm/:token')
  @ApiOperation({ summary: 'The confirmation page of a sign-up: a button that confirms (changes nothing itself)' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page with the confirm button, or that it is already confirmed' })
  @ApiNotFoundResponse({ description: 'The link is not valid (a page saying so)' })
  @ApiGoneResponse({ description: 'The link has expired (a page saying so)' })
  async page(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const language = pickLanguage(req.headers['accept-language']);
    this.answer(res, language, await this.signups.lookup(token));
  }

  @Post('confirm/:token')
  @ApiConsumes(FORM)
  @ApiOperation({ summary: 'Confirms a sign-up: the address is subscribed to the list with its consent' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'Subscribed (or it already was)' })
  @ApiResponse({ status: 303, description: "Subscribed; to the form's confirmed URL" })
  @ApiNotFoundResponse({ description: 'The link is not valid (a page saying so)' })
  @ApiGoneResponse({ description: 'The link has expired (a page saying so)' })
  async confirm(@Param('token') token: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const language = pickLanguage(req.headers['accept-language']);
    const result = await this.signups.confirm(token, clientIp(req));
    if (result.kind === 'confirmed' && result.redirectTo !== null) return res.redirect(303, result.redirectTo);
    this.answer(res, language, result);
  }

  private answer(res: Response, language: Language, result: Confirmation): void {
    const t = (key: WordingKey, values: Record<string, string> = {}) => say(language, key, values, escapeHtml);
    const page = (status: number, title: WordingKey, body: string) =>
      sendPage(res, status, {
        language,
        title: say(language, title),
        body,
        branding: result.kind === 'not_found' ? null : result.branding,
      } satisfies Page);
    switch (result.kind) {
      case 'not_found':
        return page(404, 'notFoundTitle', `<p>${t('notFound')}</p>`);
      case 'expired':
        return page(410, 'expiredTitle', `<p>${t('expired')}</p>`);
      case 'already':
        return page(200, 'confirmedTitle', `<p>${t('alreadyConfirmed')}</p>`);
      case 'refused':
        return page(200, 'refusedTitle', `<p>${t('refused')}</p>`);
      case 'ask':
        // No action attribute: the form posts back to this very URL, token included.
        return page(
          200,
          'confirmTitle',
          `<p>${t('confirmIntro', { email: result.email, list: result.listName })}</p>
<form method="post"><input type="hidden" name="confirm" value="yes"><button type="submit" autofocus>${t('confirmButton')}</button></form>`,
        );
      case 'confirmed':
        return page(200, 'confirmedTitle', `<p>${t('confirmed', { email: result.email, list: result.listName })}</p>`);
    }
  }

  /** A form post that cannot be taken: a page saying what to fix, with the status an API caller would get. */
  private formError(res: Response, error: DomainError, language: Language): void {
    const t = (key: WordingKey) => say(language, key, {}, escapeHtml);
    if (error.kind === 'rate_limited') {
      if (error.retryAfterSeconds !== undefined) res.set('Retry-After', String(error.retryAfterSeconds));
      return sendPage(res, 429, { language, title: say(language, 'tooManyTitle'), body: `<p>${t('tooMany')}</p>` });
    }
    if (error.kind === 'not_found') {
      return sendPage(res, 404, { language, title: say(language, 'notFoundTitle'), body: `<p>${t('notFound')}</p>` });
    }
    const items = Object.entries(error.fields ?? {})
      .map(([field, reason]) => `<li>${escapeHtml(field)}: ${escapeHtml(reason)}</li>`)
      .join('');
    sendPage(res, 400, {
      language,
      title: say(language, 'invalidTitle'),
      body: `<p>${t('invalidIntro')}</p><ul>${items}</ul><p>${t('back')}</p>`,
    });
  }
}
