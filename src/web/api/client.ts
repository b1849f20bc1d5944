/**
 * Typed JSON client for the Shipgate API (/api/v1).
 *
 * - Sends cookies (`credentials: 'same-origin'`).
 * - Double-submit CSRF: state-changing requests carry `x-csrf-token` = value of the `sg_csrf` cookie.
 * - Errors are RFC 9457 problem documents; they are thrown as {@link ApiError}.
 * - A 401 calls the registered unauthorized handler (which sends the user to sign-in),
 *   unless the request opted out (e.g. the login request itself).
 */

export const API_BASE = '/api/v1';
const CSRF_COOKIE = 'sg_csrf';
const CSRF_HEADER = 'x-csrf-token';

export interface ProblemFieldError {
  path: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: string;
  instance?: string;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly detail: string | undefined;
  readonly problem: Problem;
  readonly requestId: string | null;

  constructor(problem: Problem, requestId: string | null) {
    super(problem.detail || problem.title || `Request failed with status ${problem.status}`);
    this.name = 'ApiError';
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.problem = problem;
    this.requestId = requestId;
  }

  get fieldErrors(): ProblemFieldError[] {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

/** Human-readable message for any thrown value (prefers the problem `detail`). */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    return error.detail || error.problem.title || `Request failed (HTTP ${error.status})`;
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong';
}

export function isApiError(error: unknown, status?: number, code?: string): error is ApiError {
  if (!(error instanceof ApiError)) return false;
  if (status !== undefined && error.status !== status) return false;
  if (code !== undefined && error.code !== code) return false;
  return true;
}

type UnauthorizedHandler = (error: ApiError) => void;
let unauthorizedHandler: UnauthorizedHandler | null = null;

export function setUnauthorizedHandler(handler: UnauthorizedHandler | null): void {
  unauthorizedHandler = handler;
}

export function readCookie(name: string): string | null {
  if (typeof document === 'undefined') return null;
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return part.slice(eq + 1).trim();
      }
    }
  }
  return null;
}

function randomKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') {
    return crypto.randomUUID();
  }
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export type QueryValue = string | number | boolean | null | undefined;

export function buildQuery(params: Record<string, QueryValue> | undefined): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Object version for optimistic concurrency; sent as `If-Match: "<version>"`. */
  ifMatch?: number | string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Do not redirect to sign-in on 401 (the caller handles it, e.g. the login form). */
  skipAuthRedirect?: boolean;
  /** Return the body as text instead of parsing JSON (e.g. text/markdown). */
  responseType?: 'json' | 'text';
}

export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };

  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') {
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  if (method === 'POST' && !headers['idempotency-key']) headers['idempotency-key'] = randomKey();
  if (options.ifMatch !== undefined) headers['if-match'] = `"${options.ifMatch}"`;

  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}${buildQuery(options.query)}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError(
      {
        status: 0,
        title: 'Network error',
        detail: 'Could not reach the Shipgate server. Check your connection and try again.',
        code: 'network_error',
      },
      null,
    );
  }

  const requestId = response.headers.get('x-request-id');

  if (!response.ok) {
    const problem = await readProblem(response);
    const error = new ApiError(problem, requestId);
    if (response.status === 401 && !options.skipAuthRedirect) unauthorizedHandler?.(error);
    throw error;
  }

  if (response.status === 204 || response.status === 205) return undefined as T;
  const text = await response.text();
  if (options.responseType === 'text') return text as T;
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(
      { status: response.status, title: 'Invalid response', detail: 'The server sent a response that is not JSON.' },
      requestId,
    );
  }
}

async function readProblem(response: Response): Promise<Problem> {
  const fallback: Problem = {
    status: response.status,
    title: response.statusText || `HTTP ${response.status}`,
    detail: defaultDetail(response.status),
  };
  let text = '';
  try {
    text = await response.text();
  } catch {
    return fallback;
  }
  if (!text) return fallback;
  try {
    const parsed = JSON.parse(text) as Partial<Problem> & { message?: string };
    if (parsed && typeof parsed === 'object') {
      return {
        ...parsed,
        status: typeof parsed.status === 'number' ? parsed.status : response.status,
        title: parsed.title ?? fallback.title,
        detail: parsed.detail ?? parsed.message ?? fallback.detail,
      };
    }
  } catch {
    // not JSON: fall through
  }
  return fallback;
}

function defaultDetail(status: number): string {
  if (status === 401) return 'Your session has ended. Sign in again.';
  if (status === 403) return 'You do not have permission to do this.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return 'The server failed to handle the request. Try again later.';
  return `Request failed (HTTP ${status}).`;
}

export const api = {
  get: <T>(path: string, query?: Record<string, QueryValue>, options?: Omit<RequestOptions, 'method' | 'query'>) =>
    apiRequest<T>(path, { ...options, method: 'GET', query }),
  post: <T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'method' | 'body'>) =>
    apiRequest<T>(path, { ...options, method: 'POST', body }),
  patch: <T>(path: string, body: unknown, options?: Omit<RequestOptions, 'method' | 'body'>) =>
    apiRequest<T>(path, { ...options, method: 'PATCH', body }),
  put: <T>(path: string, body: unknown, options?: Omit<RequestOptions, 'method' | 'body'>) =>
    apiRequest<T>(path, { ...options, method: 'PUT', body }),
  delete: <T = void>(path: string, options?: Omit<RequestOptions, 'method'>) =>
    apiRequest<T>(path, { ...options, method: 'DELETE' }),
};
