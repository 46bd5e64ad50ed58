// The layering of Herald's libs and apps (docs/ARCHITECTURE.md, "Libs and their order"),
// checked on every import, export-from and dynamic import, whether written as an
// `@herald/<lib>` alias or as a relative path.
import path from 'node:path';

/** Each lib's layer: a lib imports only libs of a lower layer. */
export const LAYERS = {
  common: 0,
  auth: 1,
  contacts: 1,
  segments: 2,
  templates: 2,
  delivery: 3,
  tracking: 3,
  campaigns: 4,
  signups: 4,
  // The SMTP relay and the transactional messages API.
  relay: 4,
  // Outgoing webhooks: producers below reach it through common's OutgoingEvents.
  webhooks: 4,
  // Inbound bounces, complaints and mailed unsubscribes (the bounce domain's MX).
  inbound: 4,
  // Composes every lib's job processors for the apps.
  processors: 5,
};

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Which part of the repository a file is in: an app, a lib, the migrations, or anything else (tests, bench). */
function areaOf(file) {
  const [top, name] = path.relative(ROOT, file).split(path.sep);
  if (top === 'apps' && name) return { kind: 'app', name };
  if (top === 'libs' && name) return { kind: 'lib', name };
  if (top === 'migrations') return { kind: 'migrations', name: 'migrations' };
  return { kind: 'other', name: top };
}

function targetOf(specifier, importer) {
  const alias = /^@herald\/([^/]+)/.exec(specifier);
  if (alias) return { kind: 'lib', name: alias[1] };
  if (specifier.startsWith('.')) return areaOf(path.resolve(path.dirname(importer), specifier));
  return undefined;
}

/** Why `from` may not import `to`, or undefined when it may. */
function violation(from, to) {
  if (from.kind === 'app') {
    if (to.kind === 'app' && to.name !== from.name) return `apps never import another app (apps/${to.name})`;
    return undefined;
  }
  if (from.kind !== 'lib') return undefined;
  if (to.kind === 'app') return `libs never import apps (apps/${to.name})`;
  if (to.kind === 'migrations') return 'libs never import the root migrations/ folder: the app hands migrations in';
  if (to.kind !== 'lib' || to.name === from.name) return undefined;
  const mine = LAYERS[from.name];
  const theirs = LAYERS[to.name];
  if (mine === undefined) return `libs/${from.name} has no layer: add it to LAYERS in eslint/layers.js`;
  if (theirs === undefined) return `libs/${to.name} has no layer: add it to LAYERS in eslint/layers.js`;
  if (theirs >= mine) {
    return `libs/${from.name} (layer ${mine}) may import only lower layers, not libs/${to.name} (layer ${theirs})`;
  }
  return undefined;
}

export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep imports to the layering of docs/ARCHITECTURE.md' },
    schema: [],
    messages: { layer: '{{reason}}' },
  },
  create(context) {
    const file = context.physicalFilename ?? context.filename;
    const from = areaOf(file);
    if (from.kind !== 'app' && from.kind !== 'lib') return {};
    const check = (source) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const to = targetOf(source.value, file);
      const reason = to && violation(from, to);
      if (reason) context.report({ node: source, messageId: 'layer', data: { reason } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

export default { rules: { layers: layersRule } };
