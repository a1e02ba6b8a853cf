/**
 * Realistic platform payloads (Telegram, Slack, Messenger, WhatsApp, Direct Line), with
 * signature vectors, kept in the repository: `test/fixtures/platforms/` (its README says
 * where each comes from). `SB_FIXTURES_DIR` points the tests at another copy.
 */
import path from 'node:path';

export const fixturesDir = process.env.SB_FIXTURES_DIR ?? path.resolve(__dirname, '../fixtures/platforms');
