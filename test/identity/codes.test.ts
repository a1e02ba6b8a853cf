/** Recognising and making codes: what the hot path pays for, and what customers type. */
import { loadConfig } from '../../src/config';
import {
  findCodeClaim,
  hashCode,
  maskDestination,
  newLinkCode,
  newOneTimeCode,
} from '../../src/identity/codes';

const text = (t: string) => ({ type: 'text' as const, text: t });

test('link codes are found in /start, in a pre-filled WhatsApp text, in an m.me ref, typed sloppily', () => {
  expect(findCodeClaim(text('/start LINK-7Q4MX-9XKDA'), { chatId: 1 })).toEqual({
    kind: 'link_code',
    code: '7Q4MX9XKDA',
  });
  expect(findCodeClaim(text('Continue my chat: LINK-7Q4MX-9XKDA'), {})).toMatchObject({ code: '7Q4MX9XKDA' });
  // Lower case, no dashes, O for 0 and l for 1: the same code.
  expect(findCodeClaim(text('link 7q4mxo9xkl'), {})).toBeUndefined();
  expect(findCodeClaim(text('link-7q4mx-o9xkl'), {})).toEqual({ kind: 'link_code', code: '7Q4MX09XK1' });
  expect(findCodeClaim(text('LINK7Q4MXO9XKL'), {})).toEqual({ kind: 'link_code', code: '7Q4MX09XK1' });
  expect(
    findCodeClaim(
      { type: 'postback', payload: 'referral:LINK-7Q4MX-9XKDA' },
      { psid: '1', ref: 'LINK-7Q4MX-9XKDA' },
    ),
  ).toEqual({
    kind: 'link_code',
    code: '7Q4MX9XKDA',
  });
  expect(findCodeClaim(text(' 482913 '), {})).toEqual({ kind: 'one_time_code', code: '482913' });
  for (const other of [
    'where is ORD-12345?',
    '48291',
    'my code is 482913 thanks',
    '/start',
    'LINKS-ABCDE-FGHJK',
  ])
    expect(findCodeClaim(text(other), {})).toBeUndefined();
  expect(findCodeClaim({ type: 'postback', payload: 'LINK-7Q4MX-9XKDA' }, {})).toBeUndefined();
});

test('new codes have the documented shape and are hashed, never stored as such', () => {
  const codes = new Set(Array.from({ length: 200 }, () => newLinkCode()));
  expect(codes.size).toBe(200);
  for (const code of codes) expect(code).toMatch(/^LINK-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
  expect(newOneTimeCode()).toMatch(/^\d{6}$/);
  expect(hashCode('link_code', 'ABC')).toMatch(/^[0-9a-f]{64}$/);
  // A one-time code is bound to the identity that asked for it.
  expect(hashCode('one_time_code', '123456', 'idn_a')).not.toBe(hashCode('one_time_code', '123456', 'idn_b'));
  expect(maskDestination({ email: 'ana.silva@example.com' })).toBe('a***@example.com');
  expect(maskDestination({ phone: '+4915112345678' })).toBe('+49•••••••5678');
});

test('linking settings are validated with the other settings, one line per problem', () => {
  const config = loadConfig({
    LINK_WHATSAPP_NUMBER: '+49 151 1234 5678',
    LINK_MESSENGER_PAGE: 'northwindgoods',
  });
  expect(config).toMatchObject({ LINK_CODE_TTL_MINUTES: 15, LINK_MAX_ATTEMPTS: 5, LINK_COMMANDS: 'on' });
  expect(() =>
    loadConfig({ LINK_CODE_TTL_MINUTES: '0', LINK_WHATSAPP_NUMBER: 'call us', LINK_COMMANDS: 'maybe' }),
  ).toThrow(
    expect.objectContaining({
      message: expect.stringMatching(
        /LINK_CODE_TTL_MINUTES: .*\n.*LINK_COMMANDS: .*\n.*LINK_WHATSAPP_NUMBER: must be the WhatsApp number in international format/,
      ),
    }),
  );
});
