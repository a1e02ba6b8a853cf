/**
 * The review inbox's table: one row per reviewed customer message, naming the decision
 * that took it out of the inbox (store migration 19, listed in `src/store/migrations.ts`).
 *
 * @module
 */
import type { Migration } from '../store/migrations';

const review = `
CREATE TABLE review_decisions (
  id TEXT PRIMARY KEY,
  group_id TEXT NOT NULL,
  action TEXT NOT NULL,
  intent TEXT,
  file TEXT,
  applied INTEGER NOT NULL,
  examples TEXT NOT NULL,
  decided_by TEXT,
  created_at BIGINT NOT NULL
);
CREATE TABLE review_messages (
  message_id TEXT PRIMARY KEY,
  decision_id TEXT NOT NULL REFERENCES review_decisions(id)
);
`;

/** Migration 19: the review inbox. */
export const reviewMigration: Migration = { id: 19, name: 'review inbox', sqlite: review, postgres: review };
