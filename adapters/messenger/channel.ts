/**
 * The Messenger channel as the kernel sees it: its settings and capabilities, light to
 * load. The adapter and the Graph API client load only when the channel is configured.
 *
 * @module
 */
import type { ChannelDefinition } from '../../src/core/channel';
import { capabilities } from './capabilities';
import { messengerSettings } from './config';

export const messengerChannel: ChannelDefinition = {
  name: 'messenger',
  capabilities,
  fromConfig(config) {
    const settings = messengerSettings(config.env);
    if (!settings) return null;
    const { MessengerAdapter } = require('./index') as typeof import('./index');
    return new MessengerAdapter(settings);
  },
};
