/**
 * The Telegram channel as the kernel sees it: its settings and capabilities, light to
 * load. The adapter and telegraf load only when the channel is configured.
 *
 * @module
 */
import type { ChannelDefinition } from '../../src/core/channel';
import { capabilities } from './capabilities';
import { telegramSettings } from './config';

export const telegramChannel: ChannelDefinition = {
  name: 'telegram',
  capabilities,
  fromConfig(config) {
    const settings = telegramSettings(config);
    if (!settings) return null;
    const { TelegramAdapter } = require('./index') as typeof import('./index');
    return new TelegramAdapter(settings);
  },
};
