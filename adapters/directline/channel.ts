/**
 * The Direct Line channel as the kernel sees it: its settings and capabilities, light to
 * load. The adapter and ws load only when the channel is configured.
 *
 * @module
 */
import type { ChannelDefinition } from '../../src/core/channel';
import { capabilities } from '../botframework/capabilities';
import { directLineSettings } from './config';

export const directlineChannel: ChannelDefinition = {
  name: 'directline',
  capabilities,
  fromConfig(config) {
    const settings = directLineSettings(config);
    if (!settings) return null;
    const { DirectLineAdapter } = require('./index') as typeof import('./index');
    return new DirectLineAdapter(settings);
  },
};
