/**
 * Deciding a review group: the change to `intents/*.yml` (written, or offered as a patch),
 * the NLU retrained as `switchboard dev` retrains it, the group's messages taken out of
 * the inbox, and which of them the bot now answers as decided.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SwitchboardError } from '../errors';
import type { SqlDriver } from '../store/driver';
import { newId } from '../util/ids';
import { groupMessages, type ReviewGroup, reviewCandidates } from './inbox';
import { type Decision, planChange, revertChange, writeChange } from './intents-file';

/** What the review needs from the running bot: where its files are, and its NLU. */
export interface ReviewContent {
  botDir: string;
  /** Reloads intents and flows and retrains the NLU (throws on a broken file, keeping the old). */
  reload(): Promise<void>;
  /** The current NLU's reading of a text; null when the bot has no NLU. */
  parse(text: string): { intent: string | null; confidence: number } | null;
}

export interface DecisionInput {
  action: 'intent' | 'out_of_scope';
  intent?: string;
  /** New intents: the answer the bot gives (an FAQ intent). */
  answer?: string;
  /** New intents: the file in intents/ (default learned.yml). */
  file?: string;
  /** Only these wordings (default: every wording in the group). */
  examples?: string[];
  /** `patch`: change nothing, return the patch (a review in git, a read-only image). */
  mode?: 'write' | 'patch';
  decidedBy?: string;
}

export interface DecisionResult {
  decisionId: string;
  groupId: string;
  action: DecisionInput['action'];
  intent: string | null;
  file: string;
  newIntent: boolean;
  added: string[];
  /** True when the file was written and the NLU retrained. */
  applied: boolean;
  /** The unified diff of the change, to apply where files are not writable. */
  patch: string;
  /** The group's wordings read by the retrained NLU: `answered` when it now decides as chosen. */
  nowAnswers: { text: string; intent: string | null; confidence: number; answered: boolean }[];
}

export class ReviewInbox {
  constructor(
    private readonly db: SqlDriver,
    private readonly content?: ReviewContent,
  ) {}

  async groups(range: { from: number; to: number }): Promise<ReviewGroup[]> {
    return groupMessages(await reviewCandidates(this.db, range));
  }

  async decide(
    groupId: string,
    input: DecisionInput,
    range: { from: number; to: number },
  ): Promise<DecisionResult> {
    const content = this.content;
    if (!content)
      throw new SwitchboardError(
        'SB_NOT_FOUND',
        'this bot has no intents/ folder: there is nothing to teach (the review needs a bot folder with intents)',
      );
    const group = (await this.groups(range)).find((g) => g.id === groupId);
    if (!group)
      throw new SwitchboardError(
        'SB_NOT_FOUND',
        `review group ${groupId} is not in the inbox (decided already, or outside the date range)`,
      );
    const wordings = input.examples?.length ? input.examples : group.texts.map((t) => t.text);
    const decision: Decision =
      input.action === 'intent'
        ? {
            action: 'intent',
            intent: input.intent as string,
            examples: wordings,
            ...(input.answer !== undefined && { answer: input.answer }),
            ...(input.file !== undefined && { file: input.file }),
          }
        : {
            action: 'out_of_scope',
            examples: wordings,
            ...(input.file !== undefined && { file: input.file }),
          };
    const change = planChange(content.botDir, decision);
    const existed = existsSync(path.join(content.botDir, change.file));
    // Nothing to change (the files already say so) counts as applied.
    let applied = input.mode !== 'patch' && change.before === change.after;
    if (input.mode !== 'patch' && change.before !== change.after && writeChange(content.botDir, change)) {
      try {
        await content.reload();
        applied = true;
      } catch (error) {
        // The bot keeps its last good content; so does the folder.
        revertChange(content.botDir, change, existed);
        throw error;
      }
    }
    const decisionId = newId('rvw');
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO review_decisions (id, group_id, action, intent, file, applied, examples, decided_by, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          decisionId,
          groupId,
          input.action,
          input.intent ?? null,
          change.file,
          applied ? 1 : 0,
          JSON.stringify(change.added),
          input.decidedBy ?? null,
          Date.now(),
        ],
      );
      for (const id of group.messageIds)
        await tx.run(
          'INSERT INTO review_messages (message_id, decision_id) VALUES (?, ?) ON CONFLICT (message_id) DO NOTHING',
          [id, decisionId],
        );
    });
    const target = input.action === 'intent' ? (input.intent as string) : null;
    const nowAnswers = group.texts.map(({ text }) => {
      const read = content.parse(text) ?? { intent: null, confidence: 0 };
      return { text, intent: read.intent, confidence: read.confidence, answered: read.intent === target };
    });
    return {
      decisionId,
      groupId,
      action: input.action,
      intent: target,
      file: change.file,
      newIntent: change.newIntent,
      added: change.added,
      applied,
      patch: change.patch,
      nowAnswers,
    };
  }
}
