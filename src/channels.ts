/**
 * The channels Switchboard knows. Each adapter folder exports a {@link ChannelDefinition}:
 * its settings (validated by the adapter itself, so channel options never leak into the
 * core config) and how to build it. A channel is on when its credentials are set.
 *
 * To add a channel: export a definition from `adapters/<name>/index.ts` and list it below.
 *
 * @module
 */
import { telegramChannel } from '../adapters/telegram';
import { botframeworkChannel } from '../adapters/botframework';
import { directlineChannel } from '../adapters/directline';
import { messengerChannel } from '../adapters/messenger';
import { slackChannel } from '../adapters/slack';
import { webChannel } from '../adapters/web';
import { whatsappChannel } from '../adapters/whatsapp';
import { whatsappWebChannel } from '../adapters/whatsapp-web';
import type { Config } from './config';
import type { ChannelAdapter, ChannelCapabilities } from './core/adapter';
import { ConfigError } from './errors';

export interface ChannelDefinition {
  /** The channel id (`telegram`, `slack`, …). */
  name: string;
  /** What the channel can show and its limits (the adapter's own `capabilities`), without building it. */
  capabilities?: ChannelCapabilities;
  /**
   * Builds the adapter when the channel is configured, returns null when it is off
   * (none of its settings are set), and throws {@link ConfigError} listing every bad
   * or missing setting when it is half-configured.
   */
  fromConfig(config: Config): ChannelAdapter | null;
}

/** Every channel, in the order they start. */
export const channels: ChannelDefinition[] = [
  webChannel,
  telegramChannel,
  botframeworkChannel,
  directlineChannel,
  messengerChannel,
  slackChannel,
  whatsappChannel,
  whatsappWebChannel,
];

/**
 * The adapters configured in `config`. Problems of every channel are collected into one
 * {@link ConfigError}, one line per setting.
 */
export function adaptersFromConfig(
  config: Config,
  definitions: ChannelDefinition[] = channels,
): ChannelAdapter[] {
  const adapters: ChannelAdapter[] = [];
  const problems: string[] = [];
  for (const definition of definitions) {
    try {
      const adapter = definition.fromConfig(config);
      if (adapter) adapters.push(adapter);
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return adapters;
}
