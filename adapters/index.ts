/**
 * The channel registry: every channel plug-in Switchboard ships, in the order they start.
 * Importing it loads only each channel's settings check and capabilities; a channel's adapter
 * and SDK load when its settings turn it on. The composition roots hand it to the kernel:
 * `bin/switchboard.js` to the CLI, your code to `createSwitchboard(config, { channels })`.
 *
 * To add a channel: write `adapters/<name>/channel.ts` (a `ChannelDefinition`) and list it here.
 *
 * @module
 */
import type { ChannelDefinition } from '../src/core/channel';
import { botframeworkChannel } from './botframework/channel';
import { directlineChannel } from './directline/channel';
import { messengerChannel } from './messenger/channel';
import { slackChannel } from './slack/channel';
import { telegramChannel } from './telegram/channel';
import { webChannel } from './web/channel';
import { whatsappChannel } from './whatsapp/channel';
import { whatsappWebChannel } from './whatsapp-web/channel';

export type { ChannelDefinition } from '../src/core/channel';
export {
  botframeworkChannel,
  directlineChannel,
  messengerChannel,
  slackChannel,
  telegramChannel,
  webChannel,
  whatsappChannel,
  whatsappWebChannel,
};

/** Every channel, in the order they start. */
export const channels: readonly ChannelDefinition[] = [
  webChannel,
  telegramChannel,
  botframeworkChannel,
  directlineChannel,
  messengerChannel,
  slackChannel,
  whatsappChannel,
  whatsappWebChannel,
];
