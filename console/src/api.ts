// Calls to the console API: same origin, the session cookie sent by the
// browser, the CSRF token on every change, refusals as ApiError with the
// server's words.

import type { ErrorBody } from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
    readonly field: string | null,
  ) {
    super(reason);
  }
}

let csrf: string | null = null;

/** Remember the session's CSRF token (from sign-in or GET session). */
export function setCsrf(token: string | null): void {
  csrf = token;
}

/** A file's bytes as a request body, with its type. */
class Raw {
  constructor(
    readonly bytes: ArrayBuffer,
    readonly type: string,
  ) {}
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body instanceof Raw) {
    headers['content-type'] = body.type;
    init.body = body.bytes;
  } else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp: Response;
  try {
    resp = await fetch(`/console/api${path}`, init);
  } catch {
    throw new ApiError(0, 'network', '无法连接服务器 / cannot reach the server', null);
  }
  const text = await resp.text();
  const json: unknown = text ? JSON.parse(text) : null;
  if (!resp.ok) {
    const e = (json ?? {}) as Partial<ErrorBody>;
    throw new ApiError(resp.status, e.code ?? 'refused', e.reason ?? resp.statusText, e.field ?? null);
  }
  return json as T;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
  /** POST a file's bytes as they are. */
  upload: <T>(path: string, bytes: ArrayBuffer, type: string) => call<T>('POST', path, new Raw(bytes, type || 'application/octet-stream')),
};
