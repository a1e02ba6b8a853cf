/**
 * The WhatsApp Web channel as the kernel sees it: its settings and capabilities, light to
 * load. The adapter and whatsapp-web.js and its browser load only when the channel is configured.
 *
 * @module
 */
import type { ChannelDefinition } from '../../src/core/channel';
import { capabilities } from './capabilities';
import { whatsappWebSettings } from './config';

export const whatsappWebChannel: ChannelDefinition = {
  name: 'whatsapp-web',
  capabilities,
  fromConfig(config) {
    const settings = whatsappWebSettings(config.env);
    if (!settings) return null;
    const { WhatsAppWebAdapter } = require('./index') as typeof import('./index');
    return new WhatsAppWebAdapter(settings);
  },
};
