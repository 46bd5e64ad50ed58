export * from './compiler.js';
export {
  compileLinkUrl,
  DATE_FORMAT_NAMES,
  type MessageParts,
  type PartsRenderer,
  type RenderData,
  type Renderer,
} from './handlebars.js';
export * from './render.js';
export * from './template-compiler.js';
export * from './template-error.js';
export * from './templates.dto.js';
export * from './templates.module.js';
export * from './templates.service.js';
