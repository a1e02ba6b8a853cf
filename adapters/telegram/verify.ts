/**
 * Telegram webhook authenticity: every POST carries `X-Telegram-Bot-Api-Secret-Token`,
 * the `secret_token` given to `setWebhook`. Telegram does not sign the body, so this
 * shared secret is the whole check.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SignatureError } from '../../src/errors';

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

/**
 * Throws {@link SignatureError} unless `given` equals `expected`. Both are hashed first,
 * so the comparison takes the same time whatever their lengths.
 */
export function verifySecretToken(given: string | string[] | undefined, expected: string): void {
  if (typeof given !== 'string' || given.length === 0) {
    throw new SignatureError('telegram', `missing ${SECRET_HEADER} header`);
  }
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  if (!timingSafeEqual(a, b)) {
    throw new SignatureError('telegram', `${SECRET_HEADER} does not match TELEGRAM_WEBHOOK_SECRET`);
  }
}
