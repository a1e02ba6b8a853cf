/**
 * The Slack channel as the kernel sees it: its settings and capabilities, light to load.
 * The adapter and Bolt load only when the channel is configured (any SLACK_* setting).
 *
 * @module
 */
import type { ChannelDefinition } from '../../src/core/channel';
import { capabilities } from './capabilities';
import { slackSettingsFrom } from './config';

export const slackChannel: ChannelDefinition = {
  name: 'slack',
  capabilities,
  fromConfig(config) {
    const settings = slackSettingsFrom(config.env);
    if (!settings) return null;
    const { SlackAdapter } = require('./index') as typeof import('./index');
    return new SlackAdapter({
      botToken: settings.SLACK_BOT_TOKEN,
      signingSecret: settings.SLACK_SIGNING_SECRET,
      apiUrl: settings.SLACK_API_URL,
      supportChannels: settings.SLACK_SUPPORT_CHANNELS,
    });
  },
};
