/**
 * The HTTP front door: body parsing with the raw bytes kept (signatures are over them),
 * operations endpoints, the adapters' routes, and one JSON error shape.
 *
 * @module
 */
import http from 'node:http';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { PayloadError, ProactiveError, SignatureError, SwitchboardError } from '../errors';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { Store } from '../store';

declare module 'http' {
  interface IncomingMessage {
    /** The request body exactly as received: what platform signatures are computed over. */
    rawBody?: Buffer;
  }
}

const keepRawBody = (req: http.IncomingMessage, _res: http.ServerResponse, buf: Buffer) => {
  req.rawBody = buf;
};

/**
 * A URL-encoded body parser that keeps the raw bytes (Slack signs its slash commands
 * and interactivity payloads over them). JSON is parsed for every route; this one is
 * mounted only by the channels that need it.
 */
export function urlencodedWithRawBody() {
  return express.urlencoded({ extended: false, limit: '1mb', verify: keepRawBody });
}

export interface HttpParts {
  app: express.Express;
  server: http.Server;
  /** Adapters mount their routes here. */
  router: Router;
}

export function createHttpServer(deps: {
  store: Store;
  metrics: Metrics;
  logger: Logger;
  trustProxy: boolean;
  isShuttingDown: () => boolean;
}): HttpParts {
  const app = express();
  app.disable('x-powered-by');
  // API responses are never cached; ETags would only cost a hash per response.
  app.set('etag', false);
  if (deps.trustProxy) app.set('trust proxy', true);
  app.use(express.json({ limit: '1mb', verify: keepRawBody }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (deps.isShuttingDown()) {
      res.status(503).json({ status: 'shutting_down' });
      return;
    }
    try {
      await deps.store.ping();
      res.json({ status: 'ready', store: deps.store.kind });
    } catch (error) {
      res
        .status(503)
        .json({ status: 'unavailable', store: deps.store.kind, error: (error as Error).message });
    }
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  const router = express.Router();
  app.use(router);

  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'SB_NOT_FOUND', message: 'no such route' } });
  });
  // Express recognises error handlers by their four parameters.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body } = errorResponse(error);
    if (status >= 500) deps.logger.error({ err: error, path: req.path }, 'request failed');
    else deps.logger.debug({ code: body.error.code, path: req.path }, 'request rejected');
    if (!res.headersSent) res.status(status).json(body);
  });

  const server = http.createServer(app);
  // Keep-alive longer than typical load balancers' idle timeouts, so they close first.
  server.keepAliveTimeout = 65_000;
  return { app, server, router };
}

/** The one JSON error shape: `{error: {code, message, field?, reason?, details?}}`. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    /** The offending input field (400). */
    field?: string;
    /** Why a proactive message was refused (`opted_out`, `unreachable`). */
    reason?: string;
    /** Per channel, why it could not be used. */
    details?: { channel: string; reason: string }[];
  };
}

export function errorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof PayloadError) {
    return {
      status: 400,
      body: {
        error: { code: error.code, message: error.message, ...(error.field && { field: error.field }) },
      },
    };
  }
  if (error instanceof SignatureError)
    return { status: 401, body: { error: { code: error.code, message: error.message } } };
  const parserError = error as { type?: string; status?: number; message?: string };
  if (parserError.type === 'entity.parse.failed') {
    return {
      status: 400,
      body: { error: { code: 'SB_PAYLOAD_INVALID', message: 'body is not valid JSON' } },
    };
  }
  if (parserError.type === 'entity.too.large') {
    return { status: 413, body: { error: { code: 'SB_PAYLOAD_INVALID', message: 'body is too large' } } };
  }
  if (error instanceof ProactiveError) {
    return {
      status: error.reason === 'opted_out' ? 409 : 422,
      body: {
        error: { code: error.code, message: error.message, reason: error.reason, details: error.details },
      },
    };
  }
  if (error instanceof SwitchboardError) {
    const status: Partial<Record<string, number>> = {
      SB_SHUTTING_DOWN: 503,
      SB_NOT_FOUND: 404,
      SB_UNAUTHORIZED: 401,
    };
    const code = status[error.code];
    if (code !== undefined)
      return { status: code, body: { error: { code: error.code, message: error.message } } };
  }
  return { status: 500, body: { error: { code: 'SB_INTERNAL', message: 'internal error' } } };
}
