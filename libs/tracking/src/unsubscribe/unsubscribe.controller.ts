import { AcceptsCrossSite, invalid, Public } from '@herald/common';
import { Body, Controller, Get, Headers, Param, Post, Res, UseInterceptors } from '@nestjs/common';
import { NoFilesInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { notFoundPage } from '../pages/not-found.js';
import { type Language, pickLanguage, sendPage } from '../pages/page.js';
import { MAX_LISTS_PER_FORM, UnsubscribeFormDto } from './unsubscribe.dto.js';
import { choicePage, leftListsPage, testPage, unsubscribedPage } from './unsubscribe-pages.js';
import { type UnsubscribeState, UnsubscribeService } from './unsubscribe.service.js';

const HTML = { 'text/html': { schema: { type: 'string' } } };
const ERROR_JSON = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
const TOKEN_PARAM = { name: 'token', description: 'The message token from the email (22 characters)' };
const NOT_FOUND = {
  description: 'The token is forged, altered, truncated or names no message: the same "link not valid" page',
  content: HTML,
};

/**
 * `/u/:token`, the link in every message's footer and its List-Unsubscribe
 * header. Public, cookie-free and reachable from any site: a mailbox
 * provider posts the RFC 8058 one-click body here on its user's behalf.
 * The token alone authorises acting on its one address.
 */
@ApiTags('recipients')
@Public()
@Controller('u')
export class UnsubscribeController {
  constructor(private readonly unsubscribes: UnsubscribeService) {}

  @Get(':token')
  @ApiOperation({
    summary: 'The unsubscribe page and preference centre of one message (HTML; changes nothing)',
    description:
      'Offers to unsubscribe from everything or to leave single lists; says so when the address is ' +
      'unsubscribed already, or when the message was a test. English or German by Accept-Language.',
  })
  @ApiParam(TOKEN_PARAM)
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page', content: HTML })
  @ApiNotFoundResponse(NOT_FOUND)
  async page(
    @Param('token') token: string,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const language = pickLanguage(acceptLanguage);
    const message = await this.unsubscribes.message(token);
    if (message === null) return sendPage(res, 404, notFoundPage(language));
    const state = await this.unsubscribes.state(message);
    if (message.isTest) return sendPage(res, 200, testPage(language, state));
    if (state.suppressed) return sendPage(res, 200, unsubscribedPage(language, state));
    sendPage(res, 200, choicePage(language, state));
  }

  @Post(':token')
  @AcceptsCrossSite()
  @UseInterceptors(
    NoFilesInterceptor({
      limits: { fields: MAX_LISTS_PER_FORM + 10, fieldNameSize: 100, fieldSize: 1024, parts: MAX_LISTS_PER_FORM + 10 },
    }),
  )
  @ApiOperation({
    summary: 'Unsubscribe from everything, or leave single lists; RFC 8058 one-click',
    description:
      'The body `List-Unsubscribe=One-Click` (form-urlencoded or multipart, as mailbox providers send it; ' +
      'no cookie, no CSRF token) or `action=all` suppresses the address at once, before the answer: a ' +
      'campaign still sending skips it. `action=lists` with `lists` leaves those lists only. Repeating ' +
      'either is harmless. A test message changes nothing. Answers with a confirmation page.',
  })
  @ApiParam(TOKEN_PARAM)
  @ApiConsumes('application/x-www-form-urlencoded', 'multipart/form-data')
  @ApiBody({ type: UnsubscribeFormDto })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'Done: the confirmation page', content: HTML })
  @ApiBadRequestResponse({
    description: 'A malformed body (JSON naming the field), or the page again (HTML) when `action=lists` names no list',
    content: { ...ERROR_JSON, ...HTML },
  })
  @ApiNotFoundResponse(NOT_FOUND)
  async submit(
    @Param('token') token: string,
    @Body() form: UnsubscribeFormDto,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Headers('user-agent') userAgent: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const language = pickLanguage(acceptLanguage);
    const message = await this.unsubscribes.message(token);
    if (message === null) return sendPage(res, 404, notFoundPage(language));
    const action = form['List-Unsubscribe'] === 'One-Click' ? 'one-click' : form.action;
    if (action === undefined) {
      throw invalid('action: must be "all" or "lists", or the body must be List-Unsubscribe=One-Click', {
        action: 'must be "all" or "lists"',
      });
    }
    const state = await this.unsubscribes.state(message);
    if (message.isTest) return sendPage(res, 200, testPage(language, state));
    if (action === 'lists') return this.leave(res, language, state, form.lists ?? [], userAgent);
    await this.unsubscribes.unsubscribeAll(message, action === 'one-click' ? 'one-click' : 'page', userAgent);
    sendPage(res, 200, unsubscribedPage(language, state));
  }

  private async leave(
    res: Response,
    language: Language,
    state: UnsubscribeState,
    listIds: string[],
    userAgent: string | undefined,
  ): Promise<void> {
    if (listIds.length === 0) return sendPage(res, 400, choicePage(language, state, true));
    const left = await this.unsubscribes.leaveLists(state.message, listIds, userAgent);
    sendPage(res, 200, leftListsPage(language, state, left));
  }
}
