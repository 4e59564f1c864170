/**
 * The HTTP API (docs/api.md) as one node:http request listener. node:http rather than a
 * framework: request and response are already the streams we need (backpressure from the socket to
 * the store and back), there is no body parsing to bypass, and we can hand it connections sniffed off
 * the shared port. Routing is a handful of fixed paths, so a router would add nothing.
 *
 * Every failure answers through the error table in ./errors.ts; nothing a client sends can throw out
 * of the listener.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  EVENTS_PATH,
  HEADERS,
  PATHS,
  parseNodeActionPath,
  parseUploadPath,
  type ClusterView,
  type HealthBody,
  type NodeRow,
} from '@dfs/api';
import { NodeError } from '../errors.js';
import { createBearerCheck } from './auth.js';
import type { ApiOptions, RequestContext } from './context.js';
import { answerFor, publicMessage, sendError } from './errors.js';
import { createFileRoutes } from './file-routes.js';
import { sendJson } from './respond.js';
import { createUploadRoutes } from './upload-routes.js';

export type { ApiOptions, ClusterView, Lifecycle, MemberView, RequestContext } from './context.js';

interface Route {
  /** Low-cardinality label for metrics. */
  label: string;
  handle(ctx: RequestContext): Promise<void>;
}

export function createApiListener(
  options: ApiOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { files, metrics, logger } = options;
  const authorized = createBearerCheck(options.apiToken);
  const { list, putFile, getFile, headFile, deleteFile, completion } = createFileRoutes(options);
  const uploads = options.uploads
    ? createUploadRoutes(options, options.uploads, completion)
    : undefined;

  const routeFor = (method: string, path: string): Route | undefined => {
    if (path === PATHS.health) return only(method, ['GET', 'HEAD'], 'health', health);
    if (path === PATHS.metrics) return only(method, ['GET'], 'metrics', metricsText);
    if (path === PATHS.cluster) return only(method, ['GET'], 'cluster', cluster);
    const status = options.status;
    if (path === PATHS.status && status) {
      return only(method, ['GET'], 'status', async ({ res, signal }) => {
        sendJson(res, 200, await status(signal));
      });
    }
    const { events, dashboard } = options;
    if (path === EVENTS_PATH && events) {
      return only(method, ['GET'], 'events', async ({ res }) => events.subscribe(res));
    }
    if (dashboard?.has(path)) {
      return only(method, ['GET', 'HEAD'], 'dashboard', async ({ req, res }) =>
        dashboard.serve(req, res),
      );
    }
    const action = parseNodeActionPath(path);
    if (action && options.placement) {
      const placement = options.placement;
      return only(method, ['POST'], `node_${action.action}`, async ({ res }) => {
        const row: NodeRow =
          action.action === 'drain'
            ? await placement.drain(action.id)
            : await placement.remove(action.id);
        sendJson(res, 200, row);
      });
    }
    if (uploads && path === PATHS.uploads) return only(method, ['POST'], 'upload', uploads.create);
    const upload = uploads ? parseUploadPath(path) : undefined;
    if (uploads && upload) {
      if (upload.complete) {
        return only(method, ['POST'], 'upload', (ctx) => uploads.complete(ctx, upload.id));
      }
      return only(method, ['GET', 'HEAD', 'PUT', 'DELETE'], 'upload', (ctx) =>
        uploads.session(ctx, upload.id),
      );
    }
    // `/v1/files/` lists with GET; with any other method it names the empty file (400, not 405).
    if (path === PATHS.files || (path === PATHS.filePrefix && method === 'GET')) {
      return only(method, ['GET'], 'list', list);
    }
    if (path.startsWith(PATHS.filePrefix)) {
      const handlers: Record<string, (ctx: RequestContext) => Promise<void>> = {
        PUT: putFile,
        GET: getFile,
        HEAD: headFile,
        DELETE: deleteFile,
      };
      return only(method, Object.keys(handlers), 'file', (ctx) => {
        const handler = handlers[method];
        return handler ? handler(ctx) : Promise.resolve();
      });
    }
    return undefined;
  };

  async function health({ res, req }: RequestContext): Promise<void> {
    const state = options.lifecycle();
    if (state !== 'serving') {
      const body: HealthBody = { status: state, id: options.nodeId };
      sendJson(res, 503, body, req.method === 'HEAD');
      return;
    }
    const members = options.cluster().members.filter((m) => m.state === 'alive').length;
    const body: HealthBody = {
      status: 'ok',
      id: options.nodeId,
      members,
      files: files.localStats().files,
    };
    sendJson(res, 200, body, req.method === 'HEAD');
  }

  async function metricsText({ res }: RequestContext): Promise<void> {
    const text = await metrics.registry.metrics();
    res.writeHead(200, {
      [HEADERS.contentType]: metrics.registry.contentType,
      [HEADERS.contentLength]: Buffer.byteLength(text),
    });
    res.end(text);
  }

  async function cluster({ res }: RequestContext): Promise<void> {
    const view: ClusterView = options.cluster();
    sendJson(res, 200, view);
  }

  return (req, res) => {
    const started = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?', 2);
    let label = 'unknown';
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest(method, label, res.statusCode, seconds);
    });
    const controller = new AbortController();
    // The client went away before we finished: stop whatever the request started.
    res.on('close', () => {
      if (!res.writableFinished)
        controller.abort(new NodeError('ERR_BAD_REQUEST', 'client disconnected'));
    });
    const signal = AbortSignal.any([controller.signal, options.shutdown]);
    void (async () => {
      try {
        const route = routeFor(method, rawPath);
        if (!route) throw new NodeError('ERR_NOT_FOUND', `no such endpoint ${method} ${rawPath}`);
        label = route.label;
        // The dashboard's files are public (the data they show needs the token).
        if (label !== 'health' && label !== 'dashboard') {
          if (!authorized(req.headers[HEADERS.authorization])) {
            throw new NodeError(
              'ERR_UNAUTHORIZED',
              'missing or wrong API token (Authorization: Bearer <token>)',
              { headers: { [HEADERS.wwwAuthenticate]: 'Bearer' } },
            );
          }
          const state = options.lifecycle();
          if (state !== 'serving') throw new NodeError('ERR_UNAVAILABLE', `node is ${state}`);
        }
        await route.handle({
          req,
          res,
          path: rawPath,
          query: new URLSearchParams(rawQuery),
          signal,
        });
      } catch (error) {
        if (controller.signal.aborted || res.destroyed) {
          // The client went away mid-request: nobody to answer, nothing wrong with the node.
          logger.debug({ err: error, method, url: req.url }, 'client disconnected');
          res.destroy();
          return;
        }
        const answer = answerFor(error);
        if (answer.status === 500)
          logger.error({ err: error, method, url: req.url }, 'request failed');
        else logger.debug({ err: error, method, url: req.url }, 'request refused');
        const extra = error instanceof NodeError ? error.headers : {};
        if (req.method === 'HEAD' && !res.headersSent) {
          res.writeHead(answer.status, extra);
          res.end();
        } else {
          sendError(res, answer.status, answer.code, publicMessage(error, answer), extra);
        }
      }
    })();
  };
}

function only(
  method: string,
  allowed: string[],
  label: string,
  handle: (ctx: RequestContext) => Promise<void>,
): Route {
  if (allowed.includes(method)) return { label, handle };
  return {
    label,
    handle: async () => {
      throw new NodeError(
        'ERR_METHOD_NOT_ALLOWED',
        `${method} is not allowed here; use ${allowed.join(' or ')}`,
        { headers: { [HEADERS.allow]: allowed.join(', ') } },
      );
    },
  };
}
