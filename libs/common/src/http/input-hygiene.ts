import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { invalid } from '../errors.js';

/**
 * Deeper than any input Herald takes (segment rules nest groups 10 deep, about
 * 22 JSON levels), shallow enough that no recursive validator can overflow.
 */
export const MAX_INPUT_DEPTH = 32;

// Postgres text cannot hold NUL at all; matching it is the point here.
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface UnsafeInput {
  field: string;
  reason: string;
}

function textProblem(text: string): string | undefined {
  if (NUL.test(text)) return 'must not contain a NUL character';
  if (UNPAIRED_SURROGATE.test(text)) return 'must be valid Unicode text (it holds an unpaired surrogate)';
  return undefined;
}

/** A field name fit to show back to the caller, even when the key itself is the problem. */
const printable = (key: string): string =>
  key.replace(new RegExp(`${NUL.source}|${UNPAIRED_SURROGATE.source}`, 'g'), '\ufffd');

const join = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${printable(key)}` : printable(key);

/**
 * The first text in `value` that Postgres could not store or that would
 * overflow a recursive validator: NUL, unpaired surrogates (in values and in
 * keys), nesting deeper than MAX_INPUT_DEPTH. Walks with an explicit stack, so
 * hostile nesting cannot overflow this check either. `root` names the value
 * itself when it is not an object; the fields of an object are named alone
 * (`name`, `rules.all[0].value`), as the validation pipe names them.
 */
export function findUnsafeInput(value: unknown, root: string): UnsafeInput | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: current, path, depth } = stack.pop()!;
    if (typeof current === 'string') {
      const reason = textProblem(current);
      if (reason) return { field: path || root, reason };
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= MAX_INPUT_DEPTH) {
      // Name the top-level field: the full path of a hostile nesting is itself hostile.
      return { field: path.split(/[.[]/)[0] || root, reason: `is nested more than ${MAX_INPUT_DEPTH} levels deep` };
    }
    if (Array.isArray(current)) {
      current.forEach((item, i) => stack.push({ value: item, path: join(path, i), depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(current)) {
      const keyReason = textProblem(key);
      if (keyReason) return { field: join(path, key), reason: `has a name that ${keyReason}` };
      stack.push({ value: item, path: join(path, key), depth: depth + 1 });
    }
  }
  return undefined;
}

function assertSafe(value: unknown, root: string): void {
  const problem = findUnsafeInput(value, root);
  if (problem) throw invalid(`${problem.field}: ${problem.reason}`, { [problem.field]: problem.reason });
}

/**
 * Express middleware, right after the body parsers: checks the parsed body
 * and the query string of every request, before any route, pipe or
 * class-transformer sees them.
 */
export function rejectUnsafeInput(req: Request, _res: Response, next: NextFunction): void {
  try {
    assertSafe(req.body, 'body');
    assertSafe(req.query, 'query');
    next();
  } catch (error) {
    next(error);
  }
}

/**
 * The same check for what only exists once a route matched: path parameters,
 * and multipart fields parsed by an upload interceptor. Runs before the
 * validation pipe.
 */
@Injectable()
export class InputHygienePipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'custom') assertSafe(value, metadata.data ?? metadata.type);
    return value;
  }
}
