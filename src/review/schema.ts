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
-- Suggestions from the Slack desk ("Teach the bot", "Save my reply as the answer") waiting
-- for an author.
CREATE TABLE review_suggestions (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  conversation_id TEXT,
  message_id TEXT,
  text TEXT NOT NULL,
  intent TEXT,
  answer TEXT,
  suggested_by TEXT,
  created_at BIGINT NOT NULL,
  decided_at BIGINT
);
`;

/** Migration 19: the review inbox. */
export const reviewMigration: Migration = { id: 19, name: 'review inbox', sqlite: review, postgres: review };
