/**
 * Reads `flows/*.yml` into a {@link FlowSet}, checking everything a bot author can get wrong
 * before a customer meets it: YAML, the schema, one kind per step, unknown intents, entities,
 * steps and flows, unreachable steps, two flows claiming one intent and broken expressions.
 * Every problem is reported as file:line:column with a hint; nothing is half-loaded.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { nearest } from '../util/did-you-mean';
import { isCurrency, isLocale, isTimeZone } from '../util/locale-format';
import { yamlOffset } from '../util/yaml-position';
import { SourceFileError, type SourceProblem } from '../errors';
import { BUILTIN_ENTITIES, type IntentSet } from '../nlu';
import { Expression, ExpressionError } from './expression';
import { flowsJsonSchema } from './schema';
import { Template } from './template';
import {
  type ChoiceOption,
  DEFAULT_MESSAGES,
  type FlowDefinition,
  type FlowSet,
  type FlowSettings,
  type GotoTarget,
  type MessageKey,
  STEP_KINDS,
  type Step,
  stepKind,
} from './types';

/** Names an expression or template may use. */
export const SCOPE_ROOTS = ['slots', 'customer', 'nlu', 'message', 'value', 'flow', 'queue'] as const;
/** Extra names the engine's own messages may use: `{{expected}}` in re-prompts. */
const MESSAGE_ROOTS = ['expected'] as const;

/**
 * `settings:`: a valid time zone, locale and currency, each set in one file only (a second
 * file setting it again is reported, with where the first did).
 */
function checkSettings(
  ctx: FileContext,
  raw: FlowSettings,
  settings: FlowSettings,
  firstAt: Map<string, string>,
): void {
  const checks: Record<keyof FlowSettings, [(v: string) => boolean, string]> = {
    timezone: [isTimeZone, 'an IANA time zone such as Europe/Berlin or America/New_York'],
    locale: [isLocale, 'a language tag such as en, en-GB or de-DE'],
    currency: [isCurrency, 'an ISO 4217 code such as EUR, USD or GBP'],
  };
  for (const key of Object.keys(checks) as (keyof FlowSettings)[]) {
    const value = raw[key];
    if (typeof value !== 'string') continue;
    const [ok, hint] = checks[key];
    if (!ok(value)) {
      ctx.node(['settings', key], `settings.${key}: '${value}' is not valid`, `use ${hint}`);
      continue;
    }
    const first = firstAt.get(key);
    if (first) {
      ctx.node(['settings', key], `settings.${key} is set twice`, `first set at ${first}; keep one`, true);
      continue;
    }
    firstAt.set(key, `${ctx.file}:${ctx.lines.linePos(ctx.offsetOf(['settings', key], true)).line}`);
    settings[key] = value;
  }
}

// verbose: errors carry their schema, whose keys feed "did you mean" for an unknown key.
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
const validateFile = ajv.compile(flowsJsonSchema);

interface RawFlow {
  trigger?: string | string[];
  description?: string;
  steps: Record<string, Record<string, unknown>>;
}
interface RawFile {
  flows?: Record<string, RawFlow>;
  messages?: Partial<Record<MessageKey, string>>;
  settings?: FlowSettings;
}

class FileContext {
  readonly lines = new LineCounter();
  constructor(
    readonly file: string,
    readonly problems: SourceProblem[],
    public doc: Document | null = null,
  ) {}

  at(offset: number, message: string, hint?: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ file: this.file, line, column: col, message, ...(hint ? { hint } : {}) });
  }

  /** Reports at the value (or, with `key`, the key) found at `segments`. */
  node(segments: (string | number)[], message: string, hint?: string, key = false): void {
    this.at(this.offsetOf(segments, key), message, hint);
  }

  offsetOf(segments: (string | number)[], key = false): number {
    return yamlOffset(this.doc, segments, key);
  }

  /** Offset of the first character of a scalar's text (after an opening quote). */
  textOffsetOf(segments: (string | number)[]): number {
    const start = this.offsetOf(segments);
    let node: unknown = this.doc?.contents;
    for (const seg of segments) {
      if (isMap(node))
        node = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg))?.value;
      else if (isSeq(node)) node = node.items[Number(seg)];
    }
    const quoted = isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
    return start + (quoted ? 1 : 0);
  }
}

function hashFlow(flow: Omit<FlowDefinition, 'version' | 'file' | 'line'>): string {
  const canonical = JSON.stringify([
    flow.id,
    flow.triggers,
    flow.description ?? null,
    flow.order,
    flow.steps,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

function schemaProblems(ctx: FileContext, errors: ErrorObject[]): void {
  const seen = new Set<string>();
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  for (const e of errors) {
    const segments = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const where = describe(segments);
    if (e.keyword === 'additionalProperties') {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      if (seen.has(`${e.instancePath}|+${extra}`)) continue;
      seen.add(`${e.instancePath}|+${extra}`);
      const inStep = segments[0] === 'flows' && segments[2] === 'steps' && segments.length === 4;
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = nearest(extra, new Set(known));
      const hint = guess
        ? `did you mean '${guess}'?`
        : inStep
          ? `a step has one kind (${['say', ...STEP_KINDS].join(', ')}) and its options; see docs/authoring.md`
          : segments.length === 0
            ? 'a flows file has `flows:` (and optionally `messages:` and `settings:`)'
            : segments[0] === 'flows' && segments.length === 2
              ? 'a flow has trigger, description and steps'
              : undefined;
      ctx.node([...segments, extra], `unknown key '${extra}' in ${where}`, hint, true);
      continue;
    }
    if (oneOfPaths.has(e.instancePath) && e.keyword !== 'oneOf') continue;
    const key = `${e.instancePath}|${e.keyword}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const last = segments.at(-1);
    switch (e.keyword) {
      case 'required':
        ctx.node(segments, `${where} needs '${(e.params as { missingProperty: string }).missingProperty}'`);
        break;
      case 'pattern':
        if (e.propertyName !== undefined) {
          ctx.node(
            [...segments, e.propertyName],
            `invalid name '${e.propertyName}'`,
            'names start with a letter and use letters, digits, _ . -',
            true,
          );
        } else
          ctx.node(
            segments,
            `${where} is not a valid name`,
            'names start with a letter and use letters, digits, _ . -',
          );
        break;
      case 'propertyNames':
        break;
      case 'oneOf':
        ctx.node(
          segments,
          `${where} has the wrong form`,
          last === 'goto' || last === 'else'
            ? 'a step name, or `{ flow: other_flow }`'
            : last === 'say'
              ? 'a text or a list of texts'
              : last === 'call'
                ? 'an action name, or `{ webhook: https://… }`'
                : last === 'handoff'
                  ? '`true`, or `{ team: sales, priority: high, reason: … }`'
                  : last === 'trigger'
                    ? 'an intent name or a list of intent names'
                    : undefined,
        );
        break;
      case 'type': {
        const expected = String((e.params as { type: string }).type);
        ctx.node(
          segments,
          `${where} must be ${expected === 'object' ? 'a mapping' : expected === 'array' ? 'a list' : `a ${expected}`}`,
        );
        break;
      }
      case 'enum':
      case 'const':
        ctx.node(
          segments,
          `${where} must be ${
            e.keyword === 'const'
              ? JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)
              : `one of: ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`
          }`,
        );
        break;
      default:
        ctx.node(segments, `${where} ${e.message ?? 'is invalid'}`);
    }
  }
}

function describe(segments: string[]): string {
  if (segments[0] === 'flows' && segments[2] === 'steps' && segments[3]) {
    return `step '${segments[3]}' of flow '${segments[1]}'${segments.length > 4 ? ` (${segments.slice(4).join('.')})` : ''}`;
  }
  if (segments[0] === 'flows' && segments[1]) {
    return `flow '${segments[1]}'${segments.length > 2 ? ` (${segments.slice(2).join('.')})` : ''}`;
  }
  return segments.length ? segments.join('.') : 'the file';
}

interface Parsed {
  ctx: FileContext;
  data: RawFile;
}

async function parseFile(file: string, problems: SourceProblem[]): Promise<Parsed | null> {
  const ctx = new FileContext(file, problems);
  const source = await readFile(file, 'utf8');
  const doc = parseDocument(source, { lineCounter: ctx.lines, prettyErrors: false, uniqueKeys: true });
  ctx.doc = doc;
  // The first syntax error only: the parser's later ones follow from it and are noise.
  const err = doc.errors[0];
  if (err) {
    const hint =
      err.code === 'DUPLICATE_KEY'
        ? 'each name may appear once in a mapping; rename or merge one of them'
        : err.code === 'TAB_AS_INDENT'
          ? 'indent with spaces'
          : 'check indentation and quoting; quote text that contains ": " or starts with { [ * & ! | > % @';
    ctx.at(err.pos[0], `invalid YAML: ${err.message.split('\n')[0]}`, hint);
    return null;
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    ctx.at(0, 'the file is empty', 'add `flows:` with at least one flow, or delete the file');
    return null;
  }
  if (!validateFile(data)) {
    schemaProblems(ctx, validateFile.errors ?? []);
    return null;
  }
  return { ctx, data: data as RawFile };
}

function normaliseStep(raw: Record<string, unknown>): Step {
  const step = { ...raw } as Step & { say?: string | string[]; options?: (string | Partial<ChoiceOption>)[] };
  if (typeof step.say === 'string') step.say = [step.say];
  if (step.options) {
    step.options = step.options.map((o) =>
      typeof o === 'string' ? { title: o, value: o } : ({ ...o, value: o.value ?? o.title } as ChoiceOption),
    ) as ChoiceOption[];
  }
  return step as Step;
}

export interface LoadFlowsOptions {
  /** The bot's intents: enables the checks on triggers, entities and `intent:` of options. */
  intents?: IntentSet;
  /** The intents files are broken: skip the checks on entities (they would only echo that). */
  intentsBroken?: boolean;
  /** The registered action names: enables the check on `call:`. */
  actions?: string[];
  /**
   * handoff.yml's teams: a handoff step naming a team not listed there (its escalations go to
   * the default team) gets a warning in `warnings`. Not an error: the bot works.
   */
  teams?: HandoffTeams;
}

/** The teams handoff.yml lists, and where the warnings about other teams go. */
export interface HandoffTeams {
  names: readonly string[];
  defaultTeam: string;
  warnings: SourceProblem[];
}

/**
 * Reads every `*.yml` / `*.yaml` in `dir` (sorted). A missing folder is a bot without flows.
 *
 * @throws SourceFileError (`SB_FLOWS_INVALID`) listing every problem.
 */
export async function loadFlows(dir: string, options: LoadFlowsOptions = {}): Promise<FlowSet> {
  const problems: SourceProblem[] = [];
  const set = await collectFlows(dir, options, problems);
  if (problems.length > 0) throw new SourceFileError('SB_FLOWS_INVALID', sortProblems(problems));
  return set;
}

export function sortProblems(problems: SourceProblem[]): SourceProblem[] {
  return [...problems].sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column,
  );
}

/** Like {@link loadFlows}, but adds problems to `problems` instead of throwing. */
export async function collectFlows(
  dir: string,
  options: LoadFlowsOptions,
  problems: SourceProblem[],
): Promise<FlowSet> {
  const set: FlowSet = {
    flows: new Map(),
    byIntent: new Map(),
    messages: { ...DEFAULT_MESSAGES },
    settings: {},
  };
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return set;
    throw err;
  }
  const parsed: Parsed[] = [];
  for (const name of names) {
    const p = await parseFile(path.join(dir, name), problems);
    if (p) parsed.push(p);
  }
  const intentNames = options.intents ? new Set(options.intents.intents.map((i) => i.name)) : undefined;
  const entityNames = options.intentsBroken
    ? undefined
    : new Set<string>(['text', ...BUILTIN_ENTITIES, ...(options.intents?.entities.map((e) => e.name) ?? [])]);
  const actionNames = options.actions ? new Set(options.actions) : undefined;
  const claimedAt = new Map<string, string>();
  const flowFiles = new Map<string, string>();
  const gotoFlows: { ctx: FileContext; segments: (string | number)[]; flow: string; step?: string }[] = [];
  const settingsAt = new Map<string, string>();

  for (const { ctx, data } of parsed) {
    for (const [key, text] of Object.entries(data.messages ?? {})) {
      checkTemplate(ctx, ['messages', key], text, [...SCOPE_ROOTS, ...MESSAGE_ROOTS]);
      set.messages[key as MessageKey] = text as string;
    }
    checkSettings(ctx, data.settings ?? {}, set.settings, settingsAt);
    for (const [id, raw] of Object.entries(data.flows ?? {})) {
      const base = ['flows', id];
      const line = ctx.lines.linePos(ctx.offsetOf(base, true)).line;
      const first = flowFiles.get(id);
      if (first) {
        ctx.node(
          base,
          `flow '${id}' is defined twice`,
          `first defined at ${first}; rename one of them`,
          true,
        );
        continue;
      }
      flowFiles.set(id, `${ctx.file}:${line}`);
      const triggers =
        raw.trigger === undefined ? [] : Array.isArray(raw.trigger) ? raw.trigger : [raw.trigger];
      triggers.forEach((intent, i) => {
        const seg = Array.isArray(raw.trigger) ? [...base, 'trigger', i] : [...base, 'trigger'];
        if (intentNames && !intentNames.has(intent)) {
          ctx.node(
            seg,
            `flow '${id}' is triggered by unknown intent '${intent}'`,
            nearest(intent, intentNames)
              ? `did you mean '${nearest(intent, intentNames)}'? Intents are declared in intents/*.yml`
              : 'declare the intent in intents/*.yml, with examples',
          );
        }
        const owner = set.byIntent.get(intent);
        if (owner) {
          ctx.node(
            seg,
            `intent '${intent}' is claimed by two flows: '${owner}' and '${id}'`,
            `an intent starts one flow; remove it from one of them (see ${claimedAt.get(intent)})`,
          );
        } else {
          set.byIntent.set(intent, id);
          const pos = ctx.lines.linePos(ctx.offsetOf(seg));
          claimedAt.set(intent, `${ctx.file}:${pos.line}:${pos.col}`);
        }
      });
      const order = Object.keys(raw.steps);
      const steps: Record<string, Step> = {};
      const before = problems.length;
      for (const stepName of order) {
        const seg = [...base, 'steps', stepName];
        const step = normaliseStep(raw.steps[stepName] as Record<string, unknown>);
        steps[stepName] = step;
        checkStep(ctx, seg, stepName, step, {
          stepNames: new Set(order),
          entityNames,
          intentNames,
          actionNames,
        });
        const team = typeof step.handoff === 'object' ? step.handoff.team : undefined;
        if (team !== undefined && options.teams && !options.teams.names.includes(team)) {
          const { names, defaultTeam, warnings } = options.teams;
          const { line, col } = ctx.lines.linePos(ctx.offsetOf([...seg, 'handoff', 'team']));
          warnings.push({
            file: ctx.file,
            line,
            column: col,
            message: `warning: team '${team}' is not in handoff.yml: its handoffs go to the default team '${defaultTeam}'`,
            hint: `add '${team}' under teams: in handoff.yml, or name one of its teams: ${names.join(', ')}`,
          });
        }
        for (const { segments, target } of targets(step)) {
          if (typeof target !== 'string') gotoFlows.push({ ctx, segments: [...seg, ...segments], ...target });
        }
      }
      // A misspelt target would make its step look unreachable too: report the cause only.
      const misspelt = problems
        .slice(before)
        .some((p) => p.message.startsWith('unknown step') || p.message.startsWith('goto:'));
      if (!misspelt) checkReachable(ctx, base, order, steps);
      const flow = {
        id,
        triggers,
        ...(raw.description ? { description: raw.description } : {}),
        steps,
        order,
      };
      set.flows.set(id, { ...flow, version: hashFlow(flow), file: ctx.file, line });
    }
  }
  const reachedByGoto = new Set(gotoFlows.map((g) => g.flow));
  for (const flow of set.flows.values()) {
    if (flow.triggers.length === 0 && !reachedByGoto.has(flow.id)) {
      const g = parsed.find((p) => p.ctx.file === flow.file);
      g?.ctx.node(
        ['flows', flow.id],
        `flow '${flow.id}' has no trigger and no goto leads to it`,
        `add \`trigger: <intent>\`, or \`goto: { flow: ${flow.id} }\` from another flow`,
        true,
      );
    }
  }
  for (const g of gotoFlows) {
    const target = set.flows.get(g.flow);
    if (!target) {
      g.ctx.node(
        g.segments,
        `goto: unknown flow '${g.flow}'`,
        nearest(g.flow, new Set(set.flows.keys()))
          ? `did you mean '${nearest(g.flow, new Set(set.flows.keys()))}'?`
          : `known flows: ${[...set.flows.keys()].join(', ')}`,
      );
    } else if (g.step && !target.steps[g.step]) {
      g.ctx.node(
        g.segments,
        `goto: flow '${g.flow}' has no step '${g.step}'`,
        `its steps: ${target.order.join(', ')}`,
      );
    }
  }
  return set;
}

/** Every place a step names another step (or flow), with where it is written. */
function targets(step: Step): { segments: (string | number)[]; target: GotoTarget; kind: string }[] {
  const out: { segments: (string | number)[]; target: GotoTarget; kind: string }[] = [];
  if (step.next) out.push({ segments: ['next'], target: step.next, kind: 'next' });
  if (step.goto) out.push({ segments: ['goto'], target: step.goto, kind: 'goto' });
  if (step.else) out.push({ segments: ['else'], target: step.else, kind: 'else' });
  if (step.give_up && step.give_up !== 'handoff')
    out.push({ segments: ['give_up'], target: step.give_up, kind: 'give_up' });
  if (step.on_error && step.on_error !== 'handoff')
    out.push({ segments: ['on_error'], target: step.on_error, kind: 'on_error' });
  step.branch?.forEach((b, i) => {
    out.push({ segments: ['branch', i, 'goto'], target: b.goto, kind: 'goto' });
  });
  step.options?.forEach((o, i) => {
    if (o.goto) out.push({ segments: ['options', i, 'goto'], target: o.goto, kind: 'goto' });
  });
  return out;
}

/** Whether control passes to the following step when nothing else sends it elsewhere. */
function fallsThrough(step: Step): boolean {
  const kind = stepKind(step);
  if (kind === 'goto' || kind === 'handoff' || kind === 'end') return false;
  if (step.next) return false;
  if (kind === 'branch') return !step.else;
  if (kind === 'choice') return step.options?.some((o) => !o.goto) ?? true;
  return true;
}

function checkReachable(
  ctx: FileContext,
  base: (string | number)[],
  order: string[],
  steps: Record<string, Step>,
): void {
  const seen = new Set<string>();
  const queue = order.slice(0, 1);
  while (queue.length) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const step = steps[name];
    if (!step) continue;
    for (const { target } of targets(step)) if (typeof target === 'string') queue.push(target);
    const following = order[order.indexOf(name) + 1];
    if (fallsThrough(step) && following) queue.push(following);
  }
  for (const name of order) {
    if (!seen.has(name)) {
      ctx.node(
        [...base, 'steps', name],
        `step '${name}' is unreachable`,
        `no step leads to it (the flow starts at '${order[0]}'); add a goto/next to it, or delete it`,
        true,
      );
    }
  }
}

interface StepCheck {
  stepNames: Set<string>;
  entityNames: Set<string> | undefined;
  intentNames: Set<string> | undefined;
  actionNames: Set<string> | undefined;
}

function checkStep(
  ctx: FileContext,
  seg: (string | number)[],
  name: string,
  step: Step,
  check: StepCheck,
): void {
  const kinds = STEP_KINDS.filter((k) => step[k] !== undefined);
  if (kinds.length > 1) {
    ctx.node(
      [...seg, kinds[1] as string],
      `step '${name}' is both '${kinds[0]}' and '${kinds[1]}'`,
      'one kind per step (`say:` may go with any); to continue elsewhere afterwards use `next: <step>`',
      true,
    );
  }
  const kind = stepKind(step);
  const roots = [...SCOPE_ROOTS];
  if (kind === 'say' && !step.say) {
    ctx.node(
      seg,
      `step '${name}' does nothing`,
      `give it a kind: ${['say', ...STEP_KINDS].join(', ')}`,
      true,
    );
  }
  if (kind === 'ask') {
    if (!step.slot)
      ctx.node(seg, `ask step '${name}' has no 'slot'`, 'add `slot: <name>`: where the answer goes', true);
    if (!step.entity) {
      ctx.node(
        seg,
        `slot '${step.slot ?? '?'}' of step '${name}' has no entity`,
        'add `entity: <name>` (an entity from intents/*.yml, a built-in such as number or email, or `text` for the whole message)',
        true,
      );
    } else if (check.entityNames && !check.entityNames.has(step.entity)) {
      ctx.node(
        [...seg, 'entity'],
        `slot '${step.slot ?? '?'}' uses unknown entity '${step.entity}'`,
        `declare it under \`entities:\` in intents/*.yml, or use one of: ${[...check.entityNames].join(', ')}`,
      );
    }
  }
  if (kind === 'choice' && !step.options) {
    ctx.node(
      seg,
      `choice step '${name}' has no 'options'`,
      'add `options: [Yes, No]` or a list of { title, value, goto }',
      true,
    );
  }
  if (step.options && kind !== 'choice') {
    ctx.node([...seg, 'options'], `'options' only go with a 'choice' step`, undefined, true);
  }
  if ((step.slot || step.entity || step.validate) && kind !== 'ask' && kind !== 'choice') {
    const k = step.slot ? 'slot' : step.entity ? 'entity' : 'validate';
    ctx.node([...seg, k], `'${k}' only goes with an 'ask' (or 'choice') step`, undefined, true);
  }
  if (step.else && kind !== 'branch')
    ctx.node([...seg, 'else'], `'else' only goes with a 'branch' step`, undefined, true);
  if (step.with && kind !== 'call')
    ctx.node([...seg, 'with'], `'with' only goes with a 'call' step`, undefined, true);
  for (const { segments, target } of targets(step)) {
    if (typeof target === 'string' && !check.stepNames.has(target)) {
      const guess = nearest(target, check.stepNames);
      ctx.node(
        [...seg, ...segments],
        `unknown step '${target}'`,
        guess
          ? `did you mean '${guess}'? (to go to another flow: \`goto: { flow: ${target} }\`)`
          : `steps of this flow: ${[...check.stepNames].join(', ')}`,
      );
    }
  }
  step.options?.forEach((o, i) => {
    if (o.intent && check.intentNames && !check.intentNames.has(o.intent)) {
      ctx.node(
        [...seg, 'options', i, 'intent'],
        `option '${o.title}' uses unknown intent '${o.intent}'`,
        'declare it in intents/*.yml',
      );
    }
  });
  if (typeof step.call === 'string' && check.actionNames && !check.actionNames.has(step.call)) {
    const guess = nearest(step.call, check.actionNames);
    ctx.node(
      [...seg, 'call'],
      `unknown action '${step.call}'`,
      guess
        ? `did you mean '${guess}'?`
        : 'export it from actions/index.ts (`export const actions = { name: async ({ args }) => … }`)',
    );
  }
  // Expressions and templates.
  if (step.validate) checkExpression(ctx, [...seg, 'validate'], step.validate, roots);
  step.branch?.forEach((b, i) => {
    checkExpression(ctx, [...seg, 'branch', i, 'if'], b.if, roots);
  });
  step.say?.forEach((s, i) => {
    const sayIsList = isSeq(ctx.doc?.getIn([...seg, 'say'], true));
    checkTemplate(ctx, sayIsList ? [...seg, 'say', i] : [...seg, 'say'], s, roots);
  });
  for (const key of ['ask', 'choice', 'invalid', 'knowledge'] as const) {
    const v = step[key];
    if (typeof v === 'string') checkTemplate(ctx, [...seg, key], v, roots);
  }
  step.options?.forEach((o, i) => {
    checkTemplate(ctx, [...seg, 'options', i, 'title'], o.title, roots);
  });
  for (const key of ['with', 'set'] as const) {
    for (const [k, v] of Object.entries(step[key] ?? {})) {
      if (typeof v === 'string') checkTemplate(ctx, [...seg, key, k], v, roots);
    }
  }
  if (typeof step.call === 'object')
    checkTemplate(ctx, [...seg, 'call', 'webhook'], step.call.webhook, roots);
  if (typeof step.handoff === 'object' && step.handoff.reason) {
    checkTemplate(ctx, [...seg, 'handoff', 'reason'], step.handoff.reason, roots);
  }
}

function checkExpression(ctx: FileContext, seg: (string | number)[], source: string, roots: string[]): void {
  try {
    Expression.parse(source, roots);
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    ctx.at(
      ctx.textOffsetOf(seg) + error.offset,
      `bad expression: ${error.message}`,
      "expressions compare with == != < > <= >=, combine with and / or / not; strings in 'quotes'",
    );
  }
}

function checkTemplate(ctx: FileContext, seg: (string | number)[], source: string, roots: string[]): void {
  try {
    Template.parse(source, roots);
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    ctx.at(
      ctx.textOffsetOf(seg) + error.offset,
      `bad template: ${error.message}`,
      'holes look like {{slots.order_id}} or {{customer.name}}',
    );
  }
}
