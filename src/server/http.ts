/**
 * The HTTP front door: body parsing with the raw bytes kept (signatures are over them),
 * operations endpoints, the adapters' routes, and one JSON error shape.
 *
 * @module
 */
import http from 'node:http';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import {
  MalformedPayloadError,
  PayloadError,
  ProactiveError,
  SignatureError,
  SwitchboardError,
} from '../errors';
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

/**
 * A route served ahead of express, for the few requests every conversation makes many of
 * (the widget's messages). It gets the bare Node request and response and parses what it
 * needs itself ({@link readJsonBody}), which costs a fraction of express's router and
 * body parser. `next()` hands the request, untouched, to express instead (for anything
 * but the plain case, e.g. a compressed body).
 */
export type DirectRoute = (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void;

export interface HttpParts {
  app: express.Express;
  server: http.Server;
  /** Adapters mount their routes here. */
  router: Router;
  /** Serves `method path` (exactly, any query string) with `route` before express sees it. */
  direct(method: string, path: string, route: DirectRoute): void;
  /** Answers with the one JSON error shape, logging server errors (for direct routes). */
  sendError(req: http.IncomingMessage, res: http.ServerResponse, error: unknown): void;
}

export function createHttpServer(deps: {
  store: Store;
  metrics: Metrics;
  logger: Logger;
  trustProxy: boolean;
  isShuttingDown: () => boolean;
  /** Dependencies besides the store (Redis): the name of one that is down, else null. */
  downDependency?: () => string | null;
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
    const down = deps.downDependency?.() ?? null;
    if (down) {
      res
        .status(503)
        .json({ status: 'unavailable', store: deps.store.kind, error: `${down} is unreachable` });
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
  const sendError = (req: http.IncomingMessage, res: http.ServerResponse, error: unknown) => {
    const { status, body } = errorResponse(error);
    const path = (req.url ?? '').split('?')[0];
    if (error instanceof MalformedPayloadError) {
      deps.metrics.malformedInbound.inc({ channel: error.channel });
      // Paths and zod codes only: the values may be what a customer wrote.
      deps.logger.warn(
        { channel: error.channel, issues: error.issues, path },
        'malformed payload acknowledged',
      );
    } else if (status >= 500) deps.logger.error({ err: error, path }, 'request failed');
    else deps.logger.debug({ code: body.error.code, path }, 'request rejected');
    if (res.headersSent) return;
    const json = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(json),
    });
    res.end(json);
  };
  // Express recognises error handlers by their four parameters.
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => sendError(req, res, error));

  const directRoutes = new Map<string, DirectRoute>();
  const server = http.createServer((req, res) => {
    if (directRoutes.size > 0) {
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const route = directRoutes.get(`${req.method} ${query < 0 ? url : url.slice(0, query)}`);
      if (route) {
        route(req, res, () => app(req, res));
        return;
      }
    }
    app(req, res);
  });
  // Keep-alive longer than typical load balancers' idle timeouts, so they close first.
  server.keepAliveTimeout = 65_000;
  return {
    app,
    server,
    router,
    direct: (method, path, route) => directRoutes.set(`${method.toUpperCase()} ${path}`, route),
    sendError,
  };
}

/** A body-parser-style error, so {@link errorResponse} answers direct routes as it does express's. */
class BodyError extends Error {
  constructor(
    message: string,
    readonly type: 'entity.parse.failed' | 'entity.too.large',
  ) {
    super(message);
  }
}

/**
 * Whether a request's body is plain JSON that {@link readJsonBody} can read: a JSON content
 * type, in UTF-8, not compressed. Anything else is for express's body parser.
 */
export function isPlainJson(req: http.IncomingMessage): boolean {
  const type = req.headers['content-type'];
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  if (type === undefined) return false;
  const [media, ...params] = type.toLowerCase().split(';');
  if (media?.trim() !== 'application/json') return false;
  return params.every((p) => {
    const [name, value] = p.split('=').map((x) => x.trim());
    return name !== 'charset' || value === 'utf-8' || value === '"utf-8"';
  });
}

/**
 * Reads and parses a JSON request body, as express.json() would (objects and arrays only,
 * `limit` bytes at most), for direct routes. The raw bytes are kept on `req.rawBody`.
 */
export function readJsonBody(req: http.IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > limit;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return; // Read to the end, so the answer goes out on a healthy connection.
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      } else chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (tooLarge) return reject(new BodyError('request entity too large', 'entity.too.large'));
      const raw = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      req.rawBody = raw;
      // As express.json(): a leading byte-order mark is dropped, an empty body is {}.
      let text = raw.toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) return resolve({});
      // Strict, as express.json(): a body must be an object or an array (after JSON's own whitespace).
      const first = /^[ \t\n\r]*(.)/s.exec(text)?.[1];
      if (first !== '{' && first !== '[')
        return reject(new BodyError('body is not JSON', 'entity.parse.failed'));
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new BodyError('body is not JSON', 'entity.parse.failed'));
      }
    });
  });
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
  if (error instanceof MalformedPayloadError) {
    // 200: the platform stops redelivering what would fail the same way every time.
    return { status: 200, body: { error: { code: error.code, message: 'payload ignored: malformed' } } };
  }
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
  if (parserError.type === 'charset.unsupported' || parserError.type === 'encoding.unsupported') {
    return {
      status: 415,
      body: {
        error: { code: 'SB_PAYLOAD_INVALID', message: parserError.message ?? 'unsupported body encoding' },
      },
    };
  }
  // body-parser's other client errors (http-errors with `expose`): a body announced as
  // gzip or deflate that does not inflate, a length that does not match…
  if (
    typeof parserError.status === 'number' &&
    parserError.status >= 400 &&
    parserError.status < 500 &&
    (error as { expose?: unknown }).expose === true
  ) {
    return {
      status: parserError.status,
      body: {
        error: { code: 'SB_PAYLOAD_INVALID', message: 'body could not be read (check its Content-Encoding)' },
      },
    };
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
