/**
 * Switchboard: customer-service bots on every chat app at once.
 *
 * ```ts
 * import { Bot, WebAdapter } from 'switchboard';
 * const bot = new Bot({ adapters: [new WebAdapter()] });
 * bot.on('text', (ctx) => ctx.reply(`You said: ${ctx.text}`));
 * await bot.start();
 * ```
 *
 * @module
 */

// === Building a bot
export { Bot, type BotOptions, type ConversationHistory } from './core/bot';
export { Composer, compose, type Middleware, type MiddlewareFn, type NextFunction } from './core/composer';
export { Context, type ReplyOptions } from './core/context';
export { createSwitchboard, SwitchboardBot, type SwitchboardOptions } from './app';
export { adaptersFromConfig, channels, type ChannelDefinition } from './channels';
export { loadConfig, type Config } from './config';

// === Bot content: NLU, flows and the author tools' building blocks
export {
  type Action,
  type ActionInput,
  type BotContent,
  type ChoiceOption,
  Expression,
  ExpressionError,
  type FlowDefinition,
  FlowEngine,
  FlowRuntime,
  type FlowSet,
  flowsJsonSchema,
  loadBot,
  loadFlows,
  type Step,
  Template,
} from './flows';
export {
  type ConversationTest,
  formatResults,
  loadConversationTests,
  runConversationTests,
  type TestResult,
} from './flows/testing';
export { intentsJsonSchema, loadIntents, NluEngine, type NluResult } from './nlu';

// === The conversation model
export * from './model';

// === Channels
export type {
  AdapterRuntime,
  ChannelAdapter,
  ChannelCapabilities,
  FetchedMedia,
  InboundEvent,
  OutboundDelivery,
  ProactiveTarget,
  ProactiveVerdict,
  SendResult,
} from './core/adapter';
export { MediaLinks, type MediaRef } from './media/links';
export { WebAdapter, signIdentityToken, verifyIdentityToken } from '../adapters/web';
export { TelegramAdapter } from '../adapters/telegram';
export { SlackAdapter } from '../adapters/slack';
export { BotFrameworkAdapter } from '../adapters/botframework';
export { MessengerAdapter } from '../adapters/messenger';
export { WhatsAppAdapter } from '../adapters/whatsapp';
export { WhatsAppWebAdapter } from '../adapters/whatsapp-web';

// === Storage
export { openStore, type Store, type StoreTx } from './store';
export type { LinkCode, LinkRecord, LinkRepo, LinkUndo } from './store';

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

// === Human handoff: the queue behind the operator desk
export {
  type ClaimRefusal,
  type ClaimResult,
  type DueTimer,
  type Escalation,
  type HandoffConfig,
  HandoffConfigError,
  type HandoffPriority,
  type HandoffQueue,
  type HandoffTimers,
  type HandoffTimersOptions,
  humanAvailability,
  type HumanAvailability,
  loadHandoffConfig,
  type OpenHandoffQueueOptions,
  openHandoffQueue,
  type Operator,
  type OperatorAvailability,
  type OperatorState,
  parseHandoffConfig,
  type QueueEntry,
  type QueuePosition,
  setHumanAvailability,
  startHandoffTimers,
  type TeamConfig,
  type TimerHandler,
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
