/**
 * The Bot Framework channel as the kernel sees it: its settings and capabilities, light to
 * load. The adapter and botbuilder load only when the channel is configured.
 *
 * @module
 */
import type { ChannelDefinition } from '../../src/core/channel';
import { capabilities } from './capabilities';
import { botframeworkSettings } from './config';

export const botframeworkChannel: ChannelDefinition = {
  name: 'botframework',
  capabilities,
  fromConfig(config) {
    const settings = botframeworkSettings(config);
    if (!settings) return null;
    const { BotFrameworkAdapter } = require('./index') as typeof import('./index');
    return new BotFrameworkAdapter(settings);
  },
};
