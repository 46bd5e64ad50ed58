export * from './compile-template.js';
export {
  compileLinkUrl,
  DATE_FORMAT_NAMES,
  type MessageParts,
  type PartsRenderer,
  RENDER_LIMITS,
  type RenderData,
  type Renderer,
  TEMPLATE_LIMITS,
} from './handlebars.js';
export * from './message-renderer.js';
export {
  addTracking,
  type ContactData,
  parseClickToken,
  type Recipient,
  type RenderedMessage,
  templateData,
  trackingUrls,
} from './render.js';
export * from './template-error.js';
export * from './templates.dto.js';
export * from './templates.module.js';
export * from './templates.service.js';
export * from './spam-lint.js';
