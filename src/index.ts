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
export { Bot, type BotOptions } from './core/bot';
export { Composer, compose, type Middleware, type MiddlewareFn, type NextFunction } from './core/composer';
export { Context, type ReplyOptions } from './core/context';
export { createSwitchboard } from './app';
export { adaptersFromConfig, channels, type ChannelDefinition } from './channels';
export { loadConfig, type Config } from './config';

// === The conversation model
export * from './model';

// === Channels
export type {
  AdapterRuntime,
  ChannelAdapter,
  ChannelCapabilities,
  InboundEvent,
  OutboundDelivery,
  SendResult,
} from './core/adapter';
export { WebAdapter, signIdentityToken, verifyIdentityToken } from '../adapters/web';

// === Storage
export { openStore, type Store, type StoreTx } from './store';

// === Errors
export {
  SwitchboardError,
  ChannelApiError,
  TransportError,
  SignatureError,
  PayloadError,
  ConfigError,
  SourceFileError,
  type ErrorCode,
} from './errors';
