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
import { nearest } from '../util/did-you-mean';
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
  lapsed: "{operator} had to step away; you're back in the queue (number {position}).",
  unavailable:
    "Sorry, none of my colleagues can chat right now, so I can't pass you on. I'm still here for anything I can help with.",
};

export type DeskMessageKey = keyof typeof DEFAULT_DESK_MESSAGES;

/** The `{name}` placeholders each message may use (the desk fills in these and no others). */
export const DESK_MESSAGE_PLACEHOLDERS: Record<DeskMessageKey, readonly string[]> = {
  position: ['position', 'wait'],
  joined: ['operator'],
  transferred: ['team', 'position'],
  resolved: ['operator'],
  handed_back: [],
  already_claimed: ['operator'],
  csat: ['operator'],
  csat_thanks: [],
  resume: ['flow'],
  lapsed: ['operator', 'position'],
  unavailable: [],
};

/** A `{name}` placeholder, as the desk fills them in. */
const PLACEHOLDER = /\{(\w+)\}/g;

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
  // The first syntax error only: the parser's later ones follow from it and are noise.
  const err = doc.errors[0];
  if (err) {
    const { line, col } = at.lines.linePos(err.pos[0]);
    at.problems.push({
      file,
      line,
      column: col,
      message: `invalid YAML: ${err.message.split('\n')[0]}`,
      hint: 'check indentation and quoting',
    });
    throw new HandoffConfigError(at.problems);
  }
  const js: unknown = doc.toJS() ?? {};
  const parsed = fileSchema.safeParse(js);
  // Where the schema already found a problem: the cross-checks below leave those values alone.
  const flagged = new Set<string>();
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const known = keysAt(fileSchema, issue.path);
        for (const k of issue.keys) {
          const guess = nearest(k, known);
          at.add(
            [...issue.path, k],
            `unknown key '${k}'`,
            `${guess ? `did you mean '${guess}'? ` : ''}see docs/handoff.md`,
            true,
          );
        }
      } else {
        const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
        at.add(issue.path, `${where}${issue.message}`);
      }
      flagged.add(issue.path.join('.'));
    }
  }
  // The cross-checks run on whatever is there, so that one pass reports every problem.
  crossCheck(js, at, (...segments) => !flagged.has(segments.join('.')));
  if (at.problems.length > 0 || !parsed.success) throw new HandoffConfigError(sortProblems(at.problems));
  const raw = parsed.data;
  const teamNames = Object.keys(raw.teams);
  const teams: Record<string, TeamConfig> = {};
  for (const [team, t] of Object.entries(raw.teams)) {
    teams[team] = {
      name: team,
      channel: t.channel,
      renotify: t.sla?.renotify ?? null,
      escalate: t.sla?.escalate ?? null,
      overflow: t.overflow ?? null,
      claimTimeout: t.claim_timeout ?? raw.claim_timeout,
      handleTime: t.handle_time ?? raw.handle_time,
    };
  }
  const defaultTeam =
    raw.default_team ?? (teamNames.includes('support') ? 'support' : (teamNames[0] as string));
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

/**
 * The checks across values (team references, SLA order, duplicate operators, message
 * placeholders), on the file as written: they run even where the schema failed elsewhere,
 * on each value of the right type that the schema did not already flag (`ok`).
 */
function crossCheck(js: unknown, at: Locator, ok: (...segments: PropertyKey[]) => boolean): void {
  const file = isRecord(js) ? js : {};
  const teams = isRecord(file.teams) ? file.teams : {};
  const teamNames = Object.keys(teams);
  const known = (team: string) => teamNames.includes(team);
  const listed = `teams: ${teamNames.join(', ')}`;
  for (const [team, t] of Object.entries(teams)) {
    if (!isRecord(t)) continue;
    const overflow = t.overflow;
    if (typeof overflow === 'string' && ok('teams', team, 'overflow')) {
      if (overflow === team) at.add(['teams', team, 'overflow'], 'a team cannot overflow to itself');
      else if (!known(overflow)) at.add(['teams', team, 'overflow'], `unknown team '${overflow}'`, listed);
    }
    const sla = isRecord(t.sla) ? t.sla : {};
    if (
      typeof sla.renotify === 'number' &&
      typeof sla.escalate === 'number' &&
      ok('teams', team, 'sla', 'renotify') &&
      ok('teams', team, 'sla', 'escalate') &&
      sla.escalate <= sla.renotify
    )
      at.add(['teams', team, 'sla', 'escalate'], 'escalate must be later than renotify');
  }
  if (typeof file.default_team === 'string' && ok('default_team') && !known(file.default_team))
    at.add(['default_team'], `unknown team '${file.default_team}'`, listed);
  const seen = new Set<string>();
  (Array.isArray(file.operators) ? file.operators : []).forEach((op: unknown, i) => {
    if (!isRecord(op)) return;
    if (typeof op.slack === 'string' && ok('operators', i, 'slack')) {
      if (seen.has(op.slack)) at.add(['operators', i, 'slack'], `operator ${op.slack} is listed twice`);
      seen.add(op.slack);
    }
    (Array.isArray(op.teams) ? op.teams : []).forEach((team: unknown, j) => {
      if (typeof team === 'string' && ok('operators', i, 'teams', j) && !known(team))
        at.add(['operators', i, 'teams', j], `unknown team '${team}'`, listed);
    });
  });
  const messages = isRecord(file.messages) ? file.messages : {};
  for (const [key, text] of Object.entries(messages)) {
    if (!Object.hasOwn(DESK_MESSAGE_PLACEHOLDERS, key) || typeof text !== 'string' || !ok('messages', key))
      continue;
    const allowed = DESK_MESSAGE_PLACEHOLDERS[key as DeskMessageKey];
    const use = allowed.length
      ? `use ${allowed.map((p) => `{${p}}`).join(', ')}`
      : 'this message has no placeholders';
    const unknown = new Set<string>();
    for (const [, placeholder] of text.matchAll(PLACEHOLDER))
      if (!allowed.includes(placeholder as string)) unknown.add(placeholder as string);
    for (const placeholder of unknown)
      at.add(['messages', key], `messages.${key}: unknown placeholder {${placeholder}} (${use})`);
  }
}

/** Problems in file order (line, then column), each file's together. */
function sortProblems(problems: SourceProblem[]): SourceProblem[] {
  return [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The keys the schema allows at `at` (a path into the file), for "did you mean". */
function keysAt(schema: z.ZodType, at: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  const unwrap = () => {
    // optional, default, nullable, pipe: the schema inside.
    for (let i = 0; i < 8 && node && typeof node === 'object'; i++) {
      const def = (node as { def?: { innerType?: unknown; in?: unknown } }).def;
      if (def?.innerType) node = def.innerType;
      else if (def?.in) node = def.in;
      else break;
    }
  };
  for (const segment of at) {
    unwrap();
    if (node instanceof z.ZodObject) node = node.shape[String(segment)];
    else if (node instanceof z.ZodRecord) node = node.valueType;
    else if (node instanceof z.ZodArray) node = node.element;
    else return [];
  }
  unwrap();
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}
