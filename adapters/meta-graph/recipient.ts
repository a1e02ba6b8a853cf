import { ChannelApiError } from '../../src/errors';
import type { ChannelAddress } from '../../src/model';

/**
 * The recipient id a stored address carries (`psid` for Messenger, `waId` for WhatsApp).
 * Without one the message cannot be delivered, ever: a permanent refusal, not a retry.
 */
export function recipientOf(
  address: ChannelAddress,
  field: string,
  channel: string,
  platform: string,
): string {
  const id = address[field];
  if (typeof id !== 'string' || id === '') {
    throw new ChannelApiError({
      channel,
      method: 'send',
      description: `the message has no ${platform} recipient (address.${field})`,
      permanent: true,
    });
  }
  return id;
}
