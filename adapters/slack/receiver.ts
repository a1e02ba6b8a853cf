/**
 * The HTTP side of the Slack app: a bolt {@link Receiver} mounted on Switchboard's own
 * router instead of a server of its own.
 *
 * Why not bolt's `ExpressReceiver` or `HTTPReceiver`: they read and parse the body
 * themselves and ack *before* the listeners run (or, with `processBeforeResponse`, only
 * after every listener). Switchboard's server has already parsed the body and kept the
 * exact bytes on `req.rawBody`, and the design wants the ack to mean "stored": an event
 * is answered 200 only once the inbox has it (a failure answers 500 and Slack
 * redelivers), while a click or command is answered as soon as the listener acks.
 * Verification runs here, over `req.rawBody`, with an injectable clock.
 *
 * Routes: `POST /webhooks/slack/events`, `/webhooks/slack/interactivity`, `/webhooks/slack/commands`.
 *
 * @module
 */
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { Request, Response, Router } from 'express';
import { MalformedPayloadError, PayloadError } from '../../src/errors';
import type { Logger } from '../../src/observability/logger';
import { urlencodedWithRawBody } from '../../src/server/http';
import { validatePayload } from '../../src/server/validate';
import { CHANNEL } from './inbound';
import { commandSchema, eventsSchema, interactivitySchema } from './schema';
import { verifySlackRequest } from './verify';

export const EVENTS_PATH = '/webhooks/slack/events';
export const INTERACTIVITY_PATH = '/webhooks/slack/interactivity';
export const COMMANDS_PATH = '/webhooks/slack/commands';

type Endpoint = 'events' | 'interactivity' | 'commands';
type AckBody = string | Record<string, unknown> | undefined;

export interface SlackReceiverOptions {
  signingSecret: string;
  logger: Logger;
  /** The clock for the replay window (ms). */
  now?: () => number;
}

export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  /** `event_id`s handled successfully (or in flight) in this process: retries are answered without a second run. */
  private readonly recentEvents = new RecentKeys(10_000);

  constructor(private readonly options: SlackReceiverOptions) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** Adds the three routes to `router`. */
  mount(router: Router): void {
    const form = urlencodedWithRawBody();
    const route = (endpoint: Endpoint) => (req: Request, res: Response, next: (error?: unknown) => void) => {
      this.handle(endpoint, req, res).catch(next);
    };
    router.post(EVENTS_PATH, route('events'));
    router.post(INTERACTIVITY_PATH, form, route('interactivity'));
    router.post(COMMANDS_PATH, form, route('commands'));
  }

  private async handle(endpoint: Endpoint, req: Request, res: Response): Promise<void> {
    // Slack's certificate probe on command URLs is unsigned. It carries nothing we use:
    // answer it and read nothing else (a smuggled payload next to it is ignored).
    if (endpoint !== 'events' && (req.body as { ssl_check?: unknown } | undefined)?.ssl_check === '1') {
      res.status(200).end();
      return;
    }
    // Before anything else: nothing unverified is parsed further, logged in detail or stored.
    verifySlackRequest(
      this.options.signingSecret,
      {
        timestamp: req.get('x-slack-request-timestamp'),
        signature: req.get('x-slack-signature'),
        rawBody: req.rawBody,
      },
      this.options.now?.() ?? Date.now(),
    );
    const body = parseBody(endpoint, req.body);
    if (body.type === 'url_verification') {
      res.json({ challenge: body.challenge });
      return;
    }
    const retryNum = req.get('x-slack-retry-num');
    const retryReason = req.get('x-slack-retry-reason');
    const retry = {
      ...(retryNum !== undefined && Number.isInteger(Number(retryNum)) && { retryNum: Number(retryNum) }),
      ...(retryReason !== undefined && { retryReason }),
    };
    if (endpoint === 'events') {
      const eventId = typeof body.event_id === 'string' ? body.event_id : undefined;
      const run = () => this.dispatch(endpoint, body, retry);
      const outcome = eventId ? await this.recentEvents.once(eventId, run) : await run().then(() => 'done');
      if (outcome === 'duplicate') {
        this.options.logger.debug({ eventId, ...retry }, 'slack: redelivered event already handled');
      }
      res.status(200).end();
      return;
    }
    const ack = await this.dispatch(endpoint, body, retry);
    if (ack === undefined || ack === '') res.status(200).end();
    else if (typeof ack === 'string') res.status(200).type('text/plain').send(ack);
    else res.status(200).json(ack);
  }

  /**
   * Runs the request through bolt. Resolves with the ack body: for events once every
   * listener is done (bolt acks events before its listeners; that early ack is not
   * what "stored" means), otherwise as soon as a listener acks.
   */
  private dispatch(
    endpoint: Endpoint,
    body: Record<string, unknown>,
    retry: { retryNum?: number; retryReason?: string },
  ): Promise<AckBody> {
    const app = this.app;
    if (!app) return Promise.reject(new Error('slack receiver used before init()'));
    return new Promise<AckBody>((resolve, reject) => {
      let settled = false;
      let ackBody: AckBody;
      const finish = (value: AckBody) => {
        if (!settled) {
          settled = true;
          resolve(value);
        }
      };
      const event: ReceiverEvent = {
        body,
        ...retry,
        ack: async (response?: unknown) => {
          ackBody = response as AckBody;
          if (endpoint !== 'events') finish(ackBody);
        },
      };
      app.processEvent(event).then(
        () => finish(ackBody),
        (error: unknown) => {
          if (!settled) {
            settled = true;
            reject(error);
          } else {
            this.options.logger.error({ err: error }, 'slack: listener failed after the request was acked');
          }
        },
      );
    });
  }
}

/** The verified body, checked against its endpoint's schema (a MalformedPayloadError is acknowledged, not retried). */
function parseBody(endpoint: Endpoint, parsed: unknown): Record<string, unknown> {
  if (typeof parsed !== 'object' || parsed === null) {
    throw new PayloadError(
      endpoint === 'events' ? 'expected a JSON body' : 'expected an application/x-www-form-urlencoded body',
    );
  }
  const fields = parsed as Record<string, unknown>;
  if (endpoint === 'events') return validatePayload(CHANNEL, eventsSchema, fields);
  if (endpoint === 'commands') return validatePayload(CHANNEL, commandSchema, fields);
  if (typeof fields.payload !== 'string') throw new MalformedPayloadError(CHANNEL, ['payload: missing']);
  let payload: unknown;
  try {
    payload = JSON.parse(fields.payload);
  } catch {
    throw new MalformedPayloadError(CHANNEL, ['payload: not JSON']);
  }
  return validatePayload(CHANNEL, interactivitySchema, payload);
}

/**
 * Keys whose work succeeded recently (bounded, oldest forgotten first). A key whose work
 * is in flight makes the next caller wait for it; a key whose work failed runs again.
 */
export class RecentKeys {
  private readonly entries = new Map<string, Promise<boolean>>();

  constructor(private readonly max: number) {}

  async once(key: string, work: () => Promise<unknown>): Promise<'done' | 'duplicate'> {
    const previous = this.entries.get(key);
    if (previous && (await previous)) return 'duplicate';
    const running = work();
    this.entries.set(
      key,
      running.then(
        () => true,
        () => {
          this.entries.delete(key);
          return false;
        },
      ),
    );
    if (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    await running;
    return 'done';
  }
}
