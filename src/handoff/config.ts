/**
 * `handoff.yml` in the bot folder: teams (Slack channel, SLA timers, overflow), operators
 * (Slack user id, teams, capacity). Validated with zod; every problem is reported as
 * file:line:column, all at once. The format is documented in docs/handoff.md.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { yamlOffset } from '../util/yaml-position';
import { z } from 'zod';
import { formatProblem, type SourceProblem, SwitchboardError } from '../errors';
import type { Operator } from './types';

export const HANDOFF_FILE = 'handoff.yml';

/** One team's settings, with defaults applied. Durations are in seconds. */
export interface TeamConfig {
  name: string;
  /** The Slack channel id where the team's escalation cards go. */
  channel: string;
  /** Still waiting after this long: remind the channel. Null: never. */
  renotify: number | null;
  /** Still waiting after this long: move to `overflow` (or re-alert here). Null: never. */
  escalate: number | null;
  overflow: string | null;
  /** An operator silent this long on a claimed conversation loses the claim. */
  claimTimeout: number;
  /** Average time an operator spends on a conversation (for the expected wait). */
  handleTime: number;
}

/** What the desk tells the customer; `{name}` placeholders are filled in (docs/handoff.md). */
export const DEFAULT_DESK_MESSAGES = {
  position:
    "You're number {position} in line; the expected wait is about {wait}. You can keep writing here, it reaches them. Say 'cancel' to go back to the assistant.",
  joined: '{operator} has joined the conversation.',
  transferred: "I'm passing you to our {team} team. You're number {position} in line.",
  resolved: "{operator} has closed the chat. I'm here if you need anything else.",
  handed_back: "You're back with the assistant. How can I help?",
  already_claimed: '{operator} has already picked up your conversation and will reply here.',
  csat: 'How did {operator} do? Rate from 1 (poor) to 5 (great).',
  csat_thanks: 'Thank you for the feedback!',
  resume: 'Shall we get back to {flow}?',
};

export type DeskMessageKey = keyof typeof DEFAULT_DESK_MESSAGES;

export interface HandoffConfig {
  /** Escalations naming a team that is not configured go here. */
  defaultTeam: string;
  teams: Record<string, TeamConfig>;
  operators: Omit<Operator, 'availability'>[];
  /** Ask the customer for a 1–5 rating after an operator resolves the chat. */
  csat: boolean;
  /** Escalate after this many negative messages in a row (0: never). */
  negativeSentiment: number;
  /** Escalate when the bot's own code fails on a message. */
  escalateOnError: boolean;
  messages: Record<DeskMessageKey, string>;
}

/** handoff.yml is broken; `problems` has each one with its file:line:column. */
export class HandoffConfigError extends SwitchboardError {
  override readonly name = 'HandoffConfigError';
  constructor(readonly problems: SourceProblem[]) {
    super('SB_CONFIG_INVALID', problems.map(formatProblem).join('\n'));
  }
}

const seconds = z.number().int().positive();
const name = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'use lowercase letters, digits, _ and -');

const teamSchema = z.strictObject({
  channel: z.string().regex(/^[CGD][A-Z0-9]{2,}$/, 'must be a Slack channel id such as C0123ABCD'),
  sla: z.strictObject({ renotify: seconds.optional(), escalate: seconds.optional() }).optional(),
  overflow: name.optional(),
  claim_timeout: seconds.optional(),
  handle_time: seconds.optional(),
});

const fileSchema = z.strictObject({
  default_team: name.optional(),
  claim_timeout: seconds.default(600),
  handle_time: seconds.default(300),
  csat: z.boolean().default(true),
  escalate_on: z
    .strictObject({
      negative_sentiment: z.number().int().min(0).max(20).default(0),
      bot_error: z.boolean().default(true),
    })
    .default({ negative_sentiment: 0, bot_error: true }),
  messages: z
    .strictObject(
      Object.fromEntries(
        Object.keys(DEFAULT_DESK_MESSAGES).map((k) => [k, z.string().trim().min(1).optional()]),
      ) as Record<DeskMessageKey, z.ZodOptional<z.ZodString>>,
    )
    .default({}),
  teams: z.record(name, teamSchema).refine((t) => Object.keys(t).length > 0, 'list at least one team'),
  operators: z
    .array(
      z.strictObject({
        slack: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id such as U0123ABCD'),
        name: z.string().trim().min(1),
        teams: z.array(name).min(1),
        capacity: z.number().int().min(1).max(100).default(3),
      }),
    )
    .default([]),
});

class Locator {
  readonly lines = new LineCounter();
  doc: Document | null = null;
  constructor(
    readonly file: string,
    readonly problems: SourceProblem[] = [],
  ) {}

  add(segments: PropertyKey[], message: string, hint?: string, key = false): void {
    const { line, col } = this.lines.linePos(this.offsetOf(segments, key));
    this.problems.push({ file: this.file, line, column: col, message, ...(hint ? { hint } : {}) });
  }

  private offsetOf(segments: PropertyKey[], key: boolean): number {
    return yamlOffset(this.doc, segments, key);
  }
}

/** Parses handoff.yml's text; throws {@link HandoffConfigError} listing every problem. */
export function parseHandoffConfig(source: string, file = HANDOFF_FILE): HandoffConfig {
  const at = new Locator(file);
  const doc = parseDocument(source, { lineCounter: at.lines, prettyErrors: false, uniqueKeys: true });
  at.doc = doc;
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const { line, col } = at.lines.linePos(err.pos[0]);
      at.problems.push({
        file,
        line,
        column: col,
        message: `invalid YAML: ${err.message.split('\n')[0]}`,
        hint: 'check indentation and quoting',
      });
    }
    throw new HandoffConfigError(at.problems);
  }
  const parsed = fileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys)
          at.add([...issue.path, k], `unknown key '${k}'`, 'see docs/handoff.md', true);
      } else {
        const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
        at.add(issue.path, `${where}${issue.message}`);
      }
    }
    throw new HandoffConfigError(at.problems);
  }
  const raw = parsed.data;
  const teamNames = Object.keys(raw.teams);
  const known = (team: string) => teamNames.includes(team);
  const teams: Record<string, TeamConfig> = {};
  for (const [team, t] of Object.entries(raw.teams)) {
    if (t.overflow !== undefined && !known(t.overflow))
      at.add(['teams', team, 'overflow'], `unknown team '${t.overflow}'`, `teams: ${teamNames.join(', ')}`);
    if (t.overflow === team) at.add(['teams', team, 'overflow'], 'a team cannot overflow to itself');
    const renotify = t.sla?.renotify ?? null;
    const escalate = t.sla?.escalate ?? null;
    if (renotify !== null && escalate !== null && escalate <= renotify)
      at.add(['teams', team, 'sla', 'escalate'], 'escalate must be later than renotify');
    teams[team] = {
      name: team,
      channel: t.channel,
      renotify,
      escalate,
      overflow: t.overflow ?? null,
      claimTimeout: t.claim_timeout ?? raw.claim_timeout,
      handleTime: t.handle_time ?? raw.handle_time,
    };
  }
  const defaultTeam =
    raw.default_team ?? (teamNames.includes('support') ? 'support' : (teamNames[0] as string));
  if (raw.default_team !== undefined && !known(raw.default_team))
    at.add(['default_team'], `unknown team '${raw.default_team}'`, `teams: ${teamNames.join(', ')}`);
  const seen = new Set<string>();
  raw.operators.forEach((op, i) => {
    if (seen.has(op.slack)) at.add(['operators', i, 'slack'], `operator ${op.slack} is listed twice`);
    seen.add(op.slack);
    op.teams.forEach((team, j) => {
      if (!known(team))
        at.add(['operators', i, 'teams', j], `unknown team '${team}'`, `teams: ${teamNames.join(', ')}`);
    });
  });
  if (at.problems.length > 0) throw new HandoffConfigError(at.problems);
  return {
    defaultTeam,
    teams,
    csat: raw.csat,
    negativeSentiment: raw.escalate_on.negative_sentiment,
    escalateOnError: raw.escalate_on.bot_error,
    messages: { ...DEFAULT_DESK_MESSAGES, ...withoutUndefined(raw.messages) },
    operators: raw.operators.map((op) => ({
      id: op.slack,
      name: op.name,
      teams: op.teams,
      capacity: op.capacity,
    })),
  };
}

/** Reads `handoff.yml` from the bot folder; null when the bot has none (no human desk). */
export async function loadHandoffConfig(botDir: string): Promise<HandoffConfig | null> {
  const file = path.join(botDir, HANDOFF_FILE);
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw error;
  }
  return parseHandoffConfig(source, file);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
