/** The Meta channels' settings: off when unset, one ConfigError line per problem when half-set. */
import { adaptersFromConfig } from '../../../src/core/channel';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';
import { messengerChannel } from '../../../adapters/messenger/channel';
import { whatsappChannel } from '../../../adapters/whatsapp/channel';
import { DEFAULT_GRAPH_URL } from '../../../adapters/meta-graph/graph';

const config = (env: Record<string, string>) => loadConfig({ DATA_DIR: '/tmp/sb-meta-config', ...env });

function problems(env: Record<string, string>): string[] {
  try {
    adaptersFromConfig(config(env), [messengerChannel, whatsappChannel]);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

test('no settings: both channels are off', () => {
  expect(messengerChannel.fromConfig(config({}))).toBeNull();
  expect(whatsappChannel.fromConfig(config({}))).toBeNull();
});

test('all settings: both channels are on, at the pinned Graph version unless META_GRAPH_URL says otherwise', () => {
  const env = {
    MESSENGER_VERIFY_TOKEN: 'v',
    MESSENGER_APP_SECRET: 's',
    MESSENGER_PAGE_ACCESS_TOKEN: 't',
    WHATSAPP_VERIFY_TOKEN: 'v',
    WHATSAPP_APP_SECRET: 's',
    WHATSAPP_ACCESS_TOKEN: 't',
    WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
  };
  expect(adaptersFromConfig(config(env), [messengerChannel, whatsappChannel]).map((a) => a.channel)).toEqual([
    'messenger',
    'whatsapp',
  ]);
  expect(DEFAULT_GRAPH_URL).toBe('https://graph.facebook.com/v21.0');
});

test('half-set: one line per missing or bad value, secrets never echoed', () => {
  expect(
    problems({
      MESSENGER_APP_SECRET: 'super-secret-value',
      WHATSAPP_ACCESS_TOKEN: 'EAAG-secret',
      WHATSAPP_PHONE_NUMBER_ID: '+1 555 0100',
      WHATSAPP_TEMPLATE_NAME: 'Order Update',
      META_GRAPH_URL: 'graph.facebook.com',
    }),
  ).toEqual([
    expect.stringMatching(/^MESSENGER_VERIFY_TOKEN: is required: .* \(got unset\)$/),
    expect.stringMatching(/^MESSENGER_PAGE_ACCESS_TOKEN: is required: .* \(got unset\)$/),
    expect.stringMatching(/^META_GRAPH_URL: must be a URL/),
    expect.stringMatching(/^WHATSAPP_VERIFY_TOKEN: is required: .* \(got unset\)$/),
    expect.stringMatching(/^WHATSAPP_APP_SECRET: is required: .* \(got unset\)$/),
    expect.stringMatching(/^WHATSAPP_PHONE_NUMBER_ID: must be the numeric phone number ID/),
    expect.stringMatching(/^WHATSAPP_TEMPLATE_NAME: template names are lowercase/),
    expect.stringMatching(/^META_GRAPH_URL: must be a URL/),
  ]);
  expect(problems({ MESSENGER_APP_SECRET: 'super-secret-value' }).join('\n')).not.toContain(
    'super-secret-value',
  );
});
