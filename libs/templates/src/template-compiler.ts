import { AppSecret, HERALD_CONFIG, type HeraldConfig, MessageTokens } from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';
import { type CompiledTemplate, type CompileOptions, compileTemplate, type TemplateSource } from './compiler.js';
import { type Recipient, type RenderedMessage, renderMessage } from './render.js';

/** Shown where `{{sender.address}}` goes when no sender is chosen yet (validation, preview). */
export const PLACEHOLDER_SENDER = { name: 'Your organisation', address: 'Your postal address (set on the sender)' };

/**
 * The compiler and renderer with Herald's configuration and signing key
 * filled in: what the campaign engine injects. `compile` once per campaign,
 * `render` once per message.
 */
@Injectable()
export class TemplateCompiler {
  private messageTokens: MessageTokens | undefined;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly secret: AppSecret,
  ) {}

  compile(source: TemplateSource, options: Partial<CompileOptions> = {}): Promise<CompiledTemplate> {
    return compileTemplate(source, { publicUrl: this.config.PUBLIC_URL, sender: PLACEHOLDER_SENDER, ...options });
  }

  render(compiled: CompiledTemplate, recipient: Recipient): RenderedMessage {
    return renderMessage(compiled, recipient, this.tokens());
  }

  /** Built on first use: the secret is only known once the modules have initialised. */
  private tokens(): MessageTokens {
    this.messageTokens ??= new MessageTokens(this.secret.value);
    return this.messageTokens;
  }
}
