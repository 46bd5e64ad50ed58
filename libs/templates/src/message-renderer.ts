import { AppSecret, HERALD_CONFIG, type HeraldConfig, MessageTokens } from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';
import {
  type CompiledTemplate,
  type CompileOptions,
  compileTemplate,
  type TemplateSource,
} from './compile-template.js';
import { type Recipient, type RenderedMessage, renderMessage } from './render.js';

/** Shown where `{{sender.address}}` goes when no sender is chosen yet (validation, preview). */
export const PLACEHOLDER_SENDER = { name: 'Your organisation', address: 'Your postal address (set on the sender)' };

/**
 * Templates with this installation's `PUBLIC_URL` and signing key filled
 * in: what the campaign engine injects. `compile` once per campaign,
 * `render` once per message.
 */
@Injectable()
export class MessageRenderer {
  private messageTokens: MessageTokens | undefined;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly secret: AppSecret,
  ) {}

  compile(source: TemplateSource, options: Partial<CompileOptions> = {}): Promise<CompiledTemplate> {
    return compileTemplate(source, { publicUrl: this.config.PUBLIC_URL, sender: PLACEHOLDER_SENDER, ...options });
  }

  /**
   * The per-recipient step: the message's subject, HTML and text, with
   * every tracking and unsubscribe URL under the token of `messageId`.
   * Throws RenderLimitError (422) when this contact's data makes the
   * template too costly to render (RENDER_LIMITS).
   */
  render(compiled: CompiledTemplate, recipient: Recipient): RenderedMessage {
    return renderMessage(compiled, recipient, this.tokens());
  }

  /** Built on first use: the secret is only known once the modules have initialised. */
  private tokens(): MessageTokens {
    this.messageTokens ??= new MessageTokens(this.secret.value);
    return this.messageTokens;
  }
}
