/**
 * The dashboard's client of the node's HTTP API (docs/api.md), same origin, the token in the
 * Authorization header of every call (never in a URL). Errors carry the API's code and message.
 * Uploads use XMLHttpRequest, the one browser API that reports upload progress.
 */
import {
  EVENTS_PATH,
  HEADERS,
  PATHS,
  filePath,
  type ClusterView,
  type ErrorBody,
  type ListPage,
  type StatusView,
} from '@dfs/api';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** What the page tells a user whose token the node refused. */
export const WRONG_TOKEN_MESSAGE =
  'The node refused this token (401). Enter the API token the node was started with (--api-token or DFS_API_TOKEN).';

/** The file metadata a HEAD answers with. */
export interface FileDetails {
  size: number;
  sha256: string;
  version: string;
  holders: number;
  modified: number;
}

export class Api {
  readonly token: string;

  constructor(token: string) {
    this.token = token;
  }

  headers(): Record<string, string> {
    return this.token ? { [HEADERS.authorization]: `Bearer ${this.token}` } : {};
  }

  async #fetch(path: string, init: RequestInit = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(path, { ...init, headers: { ...this.headers(), ...init.headers } });
    } catch (error) {
      throw new ApiError(0, 'NETWORK', `the node did not answer (${String(error)})`);
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  async #json<T>(path: string): Promise<T> {
    return (await (await this.#fetch(path)).json()) as T;
  }

  cluster(): Promise<ClusterView> {
    return this.#json(PATHS.cluster);
  }

  /** The cluster-wide status, or undefined from a node that has no `/v1/status`. */
  async status(): Promise<StatusView | undefined> {
    try {
      return await this.#json<StatusView>(PATHS.status);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    }
  }

  list(prefix: string, limit: number, cursor?: string): Promise<ListPage> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (prefix) query.set('prefix', prefix);
    if (cursor) query.set('cursor', cursor);
    return this.#json(`${PATHS.files}?${query.toString()}`);
  }

  async details(name: string): Promise<FileDetails> {
    const res = await this.#fetch(filePath(name), { method: 'HEAD' });
    const number = (header: string): number => Number(res.headers.get(header) ?? 0);
    return {
      size: number(HEADERS.size),
      sha256: res.headers.get(HEADERS.sha256) ?? '',
      version: res.headers.get(HEADERS.version) ?? '',
      holders: number(HEADERS.holders),
      modified: number(HEADERS.modified),
    };
  }

  async download(name: string): Promise<Blob> {
    return (await this.#fetch(filePath(name))).blob();
  }

  async remove(name: string): Promise<void> {
    await this.#fetch(filePath(name), { method: 'DELETE' });
  }

  /** Opens the live event stream; the caller reads and cancels its body. */
  events(signal: AbortSignal): Promise<Response> {
    return this.#fetch(EVENTS_PATH, { signal, headers: { accept: 'text/event-stream' } });
  }

  /** PUTs `body` as `name`, reporting progress (0–1); `abort()` cancels it. */
  upload(
    name: string,
    body: Blob,
    onProgress: (fraction: number) => void,
  ): { done: Promise<void>; abort(): void } {
    const xhr = new XMLHttpRequest();
    const done = new Promise<void>((resolve, reject) => {
      xhr.open('PUT', filePath(name));
      for (const [key, value] of Object.entries(this.headers())) xhr.setRequestHeader(key, value);
      xhr.setRequestHeader(HEADERS.contentType, 'application/octet-stream');
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener('load', () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          onProgress(1);
          resolve();
        } else {
          reject(errorFromText(xhr.status, xhr.responseText));
        }
      });
      xhr.addEventListener('error', () => reject(new ApiError(0, 'NETWORK', 'the upload failed')));
      xhr.addEventListener('abort', () => reject(new ApiError(0, 'ABORTED', 'upload cancelled')));
      xhr.send(body);
    });
    return { done, abort: () => xhr.abort() };
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  return errorFromText(res.status, await res.text().catch(() => ''));
}

/** An ApiError from a status and the body text (the API's `{ error: { code, message } }`). */
export function errorFromText(status: number, text: string): ApiError {
  if (status === 401) return new ApiError(401, 'UNAUTHORIZED', WRONG_TOKEN_MESSAGE);
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    if (body.error?.message) return new ApiError(status, body.error.code, body.error.message);
  } catch {
    // Not JSON: fall through to the status alone.
  }
  return new ApiError(status, 'HTTP', `the node answered ${status}`);
}
