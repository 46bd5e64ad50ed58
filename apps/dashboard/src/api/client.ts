import createClient from 'openapi-fetch';
import type { components, paths } from './openapi';

/** Every call goes to the same origin with the session cookie; types come from the OpenAPI document. */
export const api = createClient<paths>({ baseUrl: '' });

export type Schemas = components['schemas'];

/** What a refused call said: its status, its message, and the fields at fault. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface ErrorBody {
  message?: unknown;
  fields?: unknown;
}

/** The data of a successful call; an `ApiFailure` for anything else, with the server's own words. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  const body = (error ?? {}) as ErrorBody;
  const message = typeof body.message === 'string' ? body.message : `${response.status} ${response.statusText}`;
  const fields = body.fields !== null && typeof body.fields === 'object' ? (body.fields as Record<string, string>) : {};
  throw new ApiFailure(response.status, message, fields);
}

/** A message fit to show for any error a query or mutation ended with. */
export function describeError(error: unknown): string {
  if (error instanceof ApiFailure) return error.message;
  if (error instanceof Error) return `Herald could not be reached: ${error.message}`;
  return 'Something went wrong';
}
