/**
 * What the kernel knows of a channel: a {@link ChannelDefinition}. Each plug-in in `adapters/`
 * exports one (`adapters/<name>/channel.ts`): its settings (validated by the plug-in itself,
 * so channel options never leak into the core config), its capabilities, and how to build its
 * adapter. A channel is on when its credentials are set; its code and SDK load only then.
 *
 * The kernel never names a concrete channel: the registry (`adapters/index.ts`, the package's
 * `switchboard/channels`) is handed to it by the composition roots (`bin/switchboard.js`, or the
 * code that calls `createSwitchboard`).
 *
 * @module
 */
import type { Config } from '../config';
import { ConfigError } from '../errors';
import type { ChannelAdapter, ChannelCapabilities } from './adapter';

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

/**
 * The adapters configured in `config`. Problems of every channel are collected into one
 * {@link ConfigError}, one line per setting.
 */
export function adaptersFromConfig(
  config: Config,
  definitions: readonly ChannelDefinition[],
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

/** Each channel's limits by name, read from the definitions' capabilities (never copied). */
export function capabilitiesByChannel(
  definitions: readonly ChannelDefinition[],
): Record<string, ChannelCapabilities> {
  return Object.fromEntries(
    definitions.flatMap((d) => (d.capabilities ? [[d.name, d.capabilities] as const] : [])),
  );
}
