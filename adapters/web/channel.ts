/**
 * The web channel as the kernel sees it. It is always on: it is how `npm start` is tried out.
 *
 * @module
 */
import type { ChannelDefinition } from '../../src/core/channel';
import { capabilities } from './capabilities';
import { webSettings } from './config';

export const webChannel: ChannelDefinition = {
  name: 'web',
  capabilities,
  fromConfig(config) {
    const settings = webSettings(config);
    const { WebAdapter } = require('./index') as typeof import('./index');
    return new WebAdapter({ settings });
  },
};
