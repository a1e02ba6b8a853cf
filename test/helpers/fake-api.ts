/** A scriptable fake platform API on 127.0.0.1 that records every call. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: unknown;
  at: number;
}

export type Responder = (call: RecordedCall) => {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
};

export interface FakeApi {
  url: string;
  calls: RecordedCall[];
  /** Replaces how the fake answers (default: 200 `{}`). */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

export async function startFakeApi(
  responder: Responder = () => ({ status: 200, body: {} }),
): Promise<FakeApi> {
  let current = responder;
  const calls: RecordedCall[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const call: RecordedCall = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        json,
        at: Date.now(),
      };
      calls.push(call);
      const answer = current(call);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    respond: (next) => {
      current = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
