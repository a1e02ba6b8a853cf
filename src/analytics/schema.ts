/**
 * The analytics' and the review inbox's schema additions, as store migrations (listed in
 * `src/store/migrations.ts`). Analytics read the conversations of a date range, so they
 * need conversations by creation time; everything else they read is found per
 * conversation through the existing indexes.
 *
 * @module
 */
import type { Migration } from '../store/migrations';

const analytics = `
CREATE INDEX conversations_created ON conversations (created_at);
`;

/** Migration 18: analytics (issue 18's number, clear of the ids other branches use). */
export const analyticsMigration: Migration = {
  id: 18,
  name: 'analytics',
  sqlite: analytics,
  postgres: analytics,
};
