/**
 * The Bot Framework channel (Azure Bot Service: Teams, Web Chat, and the other Azure
 * channels), with botbuilder's CloudAdapter at `POST /api/messages`.
 *
 * Inbound activities are authenticated by botbuilder (JWT), stored by the inbox and only
 * then answered 200. Replies go out through the outbox with
 * `continueConversationAsync(appId, reference, …)` to the conversation's serviceUrl.
 *
 * Note: the Bot Framework SDK for JavaScript is end-of-life (Microsoft points to the
 * Microsoft 365 Agents SDK); 4.23 still works and is what this adapter uses.
 *
 * @module
 */
import { type Activity, CloudAdapter, type ConversationReference, type ResourceResponse } from 'botbuilder';
import { capabilities } from './capabilities';
import type {
  AdapterRuntime,
  ChannelAdapter,
  ChannelCapabilities,
  OutboundDelivery,
  SendResult,
} from '../../src/core/adapter';
import { ChannelApiError, PayloadError, SwitchboardError } from '../../src/errors';
import { validatePayload } from '../../src/server/validate';
import type { ChannelAddress, Content } from '../../src/model';
import type { Logger } from '../../src/observability/logger';
import type { BotFrameworkSettings } from './config';
import { createConnectorHttpClient } from './http-client';
import { CHANNEL, parseActivity } from './parse';
import { activitySchema } from './schema';
import { renderActivity } from './render';
import { asAuthenticationFailure, createAuthentication } from './verify';

export { type BotFrameworkSettings, botframeworkSettings } from './config';
export { parseActivity } from './parse';
export { renderActivity } from './render';

export const MESSAGES_PATH = '/api/messages';

/** CloudAdapter with its (protected) activity processing reachable, so we own the HTTP answer. */
class SwitchboardCloudAdapter extends CloudAdapter {
  handle(
    authHeader: string,
    activity: Activity,
    logic: Parameters<CloudAdapter['processActivityDirect']>[2],
  ) {
    return this.processActivity(authHeader, activity, logic);
  }
}

export class BotFrameworkAdapter implements ChannelAdapter {
  readonly channel = CHANNEL;
  readonly delivery = 'push' as const;
  readonly capabilities: ChannelCapabilities = capabilities;

  readonly adapter: SwitchboardCloudAdapter;
  private runtime: AdapterRuntime | undefined;
  private logger: Logger | undefined;

  constructor(readonly settings: BotFrameworkSettings) {
    const connectorClientOptions = { httpClient: createConnectorHttpClient() } as unknown as Parameters<
      typeof createAuthentication
    >[1];
    this.adapter = new SwitchboardCloudAdapter(createAuthentication(settings, connectorClientOptions));
  }

  async start(runtime: AdapterRuntime): Promise<void> {
    this.runtime = runtime;
    this.logger = runtime.logger.child({ channel: CHANNEL });
    if (!this.settings.appId) {
      this.logger.warn(
        { path: MESSAGES_PATH },
        'BOT FRAMEWORK AUTHENTICATION IS DISABLED (no MICROSOFT_APP_ID, NODE_ENV=development): /api/messages accepts activities from anyone and the bot replies to whatever serviceUrl they name. Never expose this endpoint publicly.',
      );
    }
    runtime.router.post(MESSAGES_PATH, async (req, res, next) => {
      try {
        const activity = req.body as Activity | undefined;
        if (!activity || typeof activity !== 'object' || typeof activity.type !== 'string') {
          throw new PayloadError('body is not a Bot Framework activity (no "type")', 'type');
        }
        if (typeof activity.serviceUrl !== 'string' || !activity.conversation?.id) {
          throw new PayloadError('activity needs serviceUrl and conversation.id', 'serviceUrl');
        }
        let invokeResponse: { status: number; body?: unknown } | undefined;
        try {
          invokeResponse = await this.adapter.handle(req.headers.authorization ?? '', activity, async (ctx) =>
            this.onActivity(ctx.activity),
          );
        } catch (error) {
          const failure = asAuthenticationFailure(error);
          // botbuilder reads the activity before our handler sees it; when that read fails
          // on a malformed activity, it is one (acknowledged, not retried), not a server error.
          if (failure === error && !(error instanceof SwitchboardError)) {
            validatePayload(CHANNEL, activitySchema, activity);
          }
          throw failure;
        }
        res.status(invokeResponse?.status ?? 200);
        if (invokeResponse?.body !== undefined) res.json(invokeResponse.body);
        else res.end();
      } catch (error) {
        next(error);
      }
    });
  }

  async stop(): Promise<void> {}

  /** Runs inside the authenticated turn: stores the message before the POST is answered. */
  private async onActivity(activity: Activity): Promise<void> {
    validatePayload(CHANNEL, activitySchema, activity);
    const parsed = parseActivity(activity);
    if (parsed.kind === 'ignored') {
      this.logger?.debug(
        { activityId: activity.id, activityType: activity.type, reason: parsed.reason },
        'botframework activity ignored',
      );
      return;
    }
    for (const event of parsed.events) await this.need().inbox.accept(event);
  }

  async send({ content, address }: OutboundDelivery): Promise<SendResult> {
    const result = await this.sendActivity(address, content);
    return result?.id ? { platformMessageId: result.id } : {};
  }

  async sendTyping(address: ChannelAddress, on: boolean): Promise<void> {
    if (on) await this.sendActivity(address, { type: 'typing', on: true });
  }

  private async sendActivity(
    address: ChannelAddress,
    content: Content,
  ): Promise<ResourceResponse | undefined> {
    const reference = address as Partial<ConversationReference>;
    if (typeof reference.serviceUrl !== 'string' || !reference.conversation?.id) {
      throw new ChannelApiError({
        channel: CHANNEL,
        method: 'sendActivity',
        description: 'the address is not a conversation reference (no serviceUrl or conversation id)',
        permanent: true,
      });
    }
    let response: ResourceResponse | undefined;
    await this.adapter.continueConversationAsync(this.settings.appId ?? '', reference, async (ctx) => {
      // A proactive turn would reply to a made-up continuation id; reply to the customer's
      // last activity instead (what a reply within the turn would have done).
      ctx.onSendActivities(async (_ctx, activities, next) => {
        for (const a of activities) {
          if (reference.activityId) a.replyToId = reference.activityId;
          else delete a.replyToId;
        }
        return next();
      });
      response = await ctx.sendActivity(renderActivity(content));
    });
    return response;
  }

  private need(): AdapterRuntime {
    if (!this.runtime) throw new Error('botframework adapter used before start()');
    return this.runtime;
  }
}
