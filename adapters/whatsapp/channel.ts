/**
 * The WhatsApp Cloud API channel as the kernel sees it: its settings and capabilities, light to
 * load. The adapter and the Graph API client load only when the channel is configured.
 *
 * @module
 */
import type { ChannelDefinition } from '../../src/core/channel';
import { capabilities } from './capabilities';
import { whatsappSettings } from './config';

export const whatsappChannel: ChannelDefinition = {
  name: 'whatsapp',
  capabilities,
  fromConfig(config) {
    const settings = whatsappSettings(config.env);
    if (!settings) return null;
    const { WhatsAppAdapter } = require('./index') as typeof import('./index');
    return new WhatsAppAdapter(settings);
  },
};
