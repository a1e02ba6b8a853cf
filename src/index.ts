/**
 * Switchboard: customer-service bots on every chat app at once. This root entry is the author's
 * API (tier 1). The rest is one subpath each: `switchboard/channels` (the channel registry),
 * `switchboard/web`, `/telegram`, `/slack`, `/botframework`, `/directline`, `/messenger`,
 * `/whatsapp`, `/whatsapp-web` (one channel each, loaded only when imported), `switchboard/testing`
 * (conversation tests), and the building blocks `switchboard/flows`, `/nlu`, `/handoff`, `/desk`,
 * `/store`.
 *
 * ```ts
 * import { Bot } from 'switchboard';
 * import { WebAdapter } from 'switchboard/web';
 * const bot = new Bot({ adapters: [new WebAdapter()] });
 * bot.on('text', (ctx) => ctx.reply(`You said: ${ctx.text}`));
 * await bot.start();
 * ```
 *
 * @module
 */

// === Building a bot
export { Bot, type BotOptions, type ConversationHistory } from './core/bot';
export {
  Composer,
  compose,
  type ContextOf,
  type HearsContext,
  type Middleware,
  type MiddlewareFn,
  type NextFunction,
} from './core/composer';
export { Context, type ContextConstructor, type ReplyOptions } from './core/context';
export { type StateSlot, stateSlot } from './core/state';
export { createSwitchboard, SwitchboardBot, type SwitchboardOptions } from './app';
export { adaptersFromConfig, capabilitiesByChannel, type ChannelDefinition } from './core/channel';
export { loadConfig, type Config } from './config';

// === Bot content: what actions and flows are written against (the engine: `switchboard/flows`)
export type { Action, ActionInput, ChoiceOption, FlowDefinition, Step } from './flows';
export type { NluResult } from './nlu';

// === The conversation model
export * from './model';

// === Channels
export type {
  AdapterRuntime,
  ChannelAdapter,
  ChannelCapabilities,
  FetchedMedia,
  DeliveryPlan,
  DeliveryTarget,
  InboundEvent,
  OutboundDelivery,
  ProactiveVerdict,
  SendPlan,
  SendResult,
} from './core/adapter';
export type { DeliveryReceipt, OutboundDraft, OutboundReceipts } from './core/outbox';
export { MediaLinks, type MediaRef } from './media/links';

// === One customer across channels: verified identity linking (docs/omnichannel.md)
export {
  type CodeDestination,
  deepLink,
  issueLinkCode,
  type LinkingSettings,
  linkCustomers,
  loggingCodeSender,
  type OneTimeCodeSender,
  type Redemption,
  type RejectionReason,
  requestOneTimeCode,
  unlinkCustomers,
} from './identity';

// === Human handoff, as a bot sees it (the queue, its timers and settings: `switchboard/handoff`)
export {
  humanAvailability,
  type HumanAvailability,
  type QueuePlace,
  queuePlace,
  setHumanAvailability,
} from './handoff';

// === Omnichannel: proactive messages, opt-outs, CRM context, conversation search
export type { ProactiveMessage, ProactiveRecipient, ProactiveResult } from './proactive';
export {
  DEFAULT_OPT_IN_KEYWORDS,
  DEFAULT_OPT_OUT_KEYWORDS,
  isOptedOut,
  type OptOutOptions,
} from './core/opt-out';
export {
  type EnrichReason,
  type EnrichResult,
  fileProfileProvider,
  type ProfileLookup,
  type ProfileProvider,
  webhookProfileProvider,
} from './crm';
export type {
  ConversationEvent,
  ConversationOutcome,
  ConversationSearch,
  ConversationSummary,
  SentimentLabel,
} from './store';

// === Errors
export {
  ProactiveError,
  type ProactiveRefusal,
  SwitchboardError,
  ChannelApiError,
  TransportError,
  SignatureError,
  PayloadError,
  ConfigError,
  SourceFileError,
  type ErrorCode,
} from './errors';
