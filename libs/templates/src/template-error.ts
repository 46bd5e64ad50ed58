import { DomainError } from '@herald/common';

/** The template inputs a problem can be found in; they match the API's field names. */
export type TemplateField = 'subject' | 'preheader' | 'body' | 'textBody';

export interface TemplateProblem {
  field: TemplateField;
  /** 1-based, in the field's own source, when known. */
  line?: number;
  column?: number;
  message: string;
}

export function describeProblem(p: TemplateProblem): string {
  const where =
    p.line === undefined ? '' : p.column === undefined ? `line ${p.line}: ` : `line ${p.line}, column ${p.column}: `;
  return `${where}${p.message}`;
}

/**
 * A template that does not compile: invalid MJML, invalid Handlebars or a
 * construct Herald forbids. Maps to 422 with `fields` naming each input at
 * fault (line and column in the text); `problems` keeps them structured.
 */
export class TemplateError extends DomainError {
  constructor(readonly problems: TemplateProblem[]) {
    const fields: Record<string, string> = {};
    for (const p of problems)
      fields[p.field] = fields[p.field] ? `${fields[p.field]}; ${describeProblem(p)}` : describeProblem(p);
    super(
      'unprocessable',
      `The template does not compile: ${problems.map((p) => `${p.field} ${describeProblem(p)}`).join('; ')}`,
      fields,
    );
    this.name = 'TemplateError';
  }
}

/** Which bound of `RENDER_LIMITS` (handlebars.ts) a render passed. */
export type RenderLimit = 'iterations' | 'characters' | 'time';

/**
 * A template that compiles but costs too much to render with the data it
 * was given: a 422 whose `limit` names the bound passed and whose `fields`
 * names the input it was passed in, saying what to change.
 */
export class RenderLimitError extends DomainError {
  constructor(
    readonly limit: RenderLimit,
    readonly field: TemplateField,
    advice: string,
  ) {
    super('unprocessable', `The template is too costly to render: ${field} ${advice}`, { [field]: advice });
    this.name = 'RenderLimitError';
  }
}
