import { randomUUID } from 'node:crypto';

/** A small client for the Shipgate HTTP API, for CLI commands that run in pipelines. */

export const DEFAULT_URL = 'http://localhost:3000';
const ATTEMPTS = 3;
const TIMEOUT_MS = 10_000;
const FIRST_BACKOFF_MS = 500;
/** A longer Retry-After than this is not worth holding a pipeline for: give up instead. */
const MAX_RETRY_AFTER_MS = 10_000;

/** The client cannot be set up from the given URL and environment (nothing was sent). */
export class ClientSetupError extends Error {}

/** The server answered with a 4xx: the request itself is wrong, retrying would not help. */
export class RequestRefused extends Error {
  constructor(
    readonly status: number,
    /** The problem's stable `code`, e.g. validation_failed; null when the body was not problem+json. */
    readonly code: string | null,
    readonly detail: string,
    readonly fieldErrors: { path: string; message: string }[],
  ) {
    super(detail);
  }
}

/** No usable answer after every attempt: connection errors, timeouts or 5xx. */
export class ServerUnavailable extends Error {}

export interface ApiClient {
  readonly baseUrl: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

export interface ClientOptions {
  /** --url; falls back to SHIPGATE_URL, then DEFAULT_URL. */
  url?: string;
  env?: NodeJS.ProcessEnv;
  userAgent: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function baseUrlOf(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ClientSetupError(`The Shipgate URL "${raw}" is not a valid URL (set it with --url or SHIPGATE_URL).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ClientSetupError(`The Shipgate URL "${raw}" must start with http:// or https://.`);
  return url.toString().replace(/\/+$/, '');
}

/** The token only ever comes from the environment, so it never shows in process lists or CI logs. */
export function createApiClient(opts: ClientOptions): ApiClient {
  const env = opts.env ?? process.env;
  const baseUrl = baseUrlOf(opts.url ?? (env.SHIPGATE_URL || DEFAULT_URL));
  const token = env.SHIPGATE_TOKEN?.trim();
  if (!token) throw new ClientSetupError('SHIPGATE_TOKEN is not set: put an API token (from `shipgate token create`) in the SHIPGATE_TOKEN environment variable, e.g. from your CI secret store.');

  return {
    baseUrl,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json', 'user-agent': opts.userAgent };
      if (body !== undefined) headers['content-type'] = 'application/json';
      // one key for every attempt: when a response is lost after the server committed, the retry gets that response back
      if (method === 'POST') headers['idempotency-key'] = randomUUID();
      const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };

      let lastFailure = '';
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        let res: Response;
        try {
          res = await fetch(baseUrl + path, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
        } catch (err) {
          lastFailure = describeFetchError(err);
          if (attempt < ATTEMPTS) await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1));
          continue;
        }
        if (res.ok) return (await readJson(res)) as T;
        const retryAfter = retryDelay(res);
        if (res.status >= 500 || (res.status === 429 && retryAfter !== null)) {
          lastFailure = problemOf(res.status, await readJson(res)).detail;
          if (attempt < ATTEMPTS) await sleep(retryAfter ?? FIRST_BACKOFF_MS * 2 ** (attempt - 1));
          continue;
        }
        const p = problemOf(res.status, await readJson(res));
        throw new RequestRefused(res.status, p.code, p.detail, p.errors);
      }
      throw new ServerUnavailable(`Shipgate at ${baseUrl} did not answer after ${ATTEMPTS} attempts: ${lastFailure}`);
    },
  };
}

function describeFetchError(err: unknown): string {
  if (err instanceof DOMException && err.name === 'TimeoutError') return `no response within ${TIMEOUT_MS / 1000} s`;
  // fetch reports the reason (ECONNREFUSED, ENOTFOUND…) in `cause`
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/** Retry-After in milliseconds when it is short enough to wait for; null otherwise. */
function retryDelay(res: Response): number | null {
  const seconds = Number(res.headers.get('retry-after'));
  if (!Number.isFinite(seconds) || seconds < 0 || seconds * 1000 > MAX_RETRY_AFTER_MS) return null;
  return seconds * 1000;
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

/** The problem+json detail and field errors, or a plain description when the body is something else (e.g. a proxy's page). */
function problemOf(status: number, body: unknown): { code: string | null; detail: string; errors: { path: string; message: string }[] } {
  const p = body as { code?: unknown; detail?: unknown; errors?: unknown } | null;
  const code = typeof p?.code === 'string' ? p.code : null;
  const detail = typeof p?.detail === 'string' && p.detail ? p.detail : `the server answered HTTP ${status}`;
  const errors = Array.isArray(p?.errors) ? p.errors.filter((e): e is { path: string; message: string } => typeof e?.path === 'string' && typeof e?.message === 'string') : [];
  return { code, detail, errors };
}

/** `error: <detail>`, then each field error on its own line. */
export function formatRefusal(err: RequestRefused): string {
  return [`error: ${err.detail}`, ...err.fieldErrors.map((e) => `  ${e.path || '(request)'}: ${e.message}`)].join('\n');
}
