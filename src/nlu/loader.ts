/**
 * Loads `intents/*.yml` into an {@link IntentSet}. Every file is parsed and validated before
 * anything is returned: all problems (YAML syntax, schema, duplicates across files, unknown
 * entities, bad regexes) are collected with file:line:column and thrown as one
 * {@link SourceFileError}, so a bot never starts with half its intents.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import Ajv, { type ErrorObject } from 'ajv';
import {
  type Document,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import { nearest } from '../util/did-you-mean';
import { SourceFileError, type SourceProblem } from '../errors';
import { BUILTIN_ENTITIES, type BuiltinEntity, type EntityDefinition } from './entities';
import { intentsJsonSchema } from './schema';
import { normalise } from './text';

/** One intent: its name, training examples, optional direct answers and the entities it uses. */
export interface IntentDefinition {
  name: string;
  examples: string[];
  answers?: string[];
  entities?: string[];
  /** Where it was declared (for error messages and tooling). */
  file: string;
  /** 1-based line of the intent's name. */
  line: number;
}

/** Everything the engine trains on. `hash` covers the content only, not file names or comments. */
export interface IntentSet {
  intents: IntentDefinition[];
  entities: EntityDefinition[];
  language: string;
  /**
   * Examples of messages the bot must not answer (the top-level `out_of_scope:` lists of every
   * file, in file order). The engine trains them as one more class and rejects a message that
   * class wins. Absent or empty: no negative class.
   */
  outOfScope?: string[];
  hash: string;
}

/** The reserved name of the negative class: no intent may be called this. */
export const OUT_OF_SCOPE = 'out_of_scope';

interface RawEntity {
  builtin?: BuiltinEntity;
  list?: string[] | Record<string, string[] | null>;
  fuzzy?: boolean;
  regex?: string;
  caseSensitive?: boolean;
}

interface RawFile {
  language?: string;
  entities?: Record<string, RawEntity>;
  intents?: Record<string, { examples: string[]; answers?: string[]; entities?: string[] }>;
  out_of_scope?: string[];
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateFile = ajv.compile<RawFile>(intentsJsonSchema);

function hashOf(set: Omit<IntentSet, 'hash'>): string {
  const canonical = {
    language: set.language,
    intents: set.intents.map(({ name, examples, answers, entities }) => ({
      name,
      examples,
      answers,
      entities,
    })),
    entities: set.entities.map(({ file: _f, line: _l, ...rest }) => rest),
    ...(set.outOfScope?.length ? { outOfScope: set.outOfScope } : {}),
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/**
 * Builds an intent set from labelled utterances, for programmatic use (eval, tests, data sets
 * that are not YAML).
 */
export function createIntentSet(
  examples: readonly { text: string; intent: string }[],
  options: {
    language?: string;
    entities?: EntityDefinition[];
    file?: string;
    /** Examples of messages to reject, trained as a negative class. */
    outOfScope?: readonly string[];
  } = {},
): IntentSet {
  const byName = new Map<string, string[]>();
  for (const { text, intent } of examples) {
    const list = byName.get(intent) ?? [];
    list.push(text);
    byName.set(intent, list);
  }
  const intents = [...byName]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, ex]) => ({ name, examples: ex, file: options.file ?? '<memory>', line: 0 }));
  const set = {
    intents,
    entities: options.entities ?? [],
    language: options.language ?? 'en',
    outOfScope: [...(options.outOfScope ?? [])],
  };
  return { ...set, hash: hashOf(set) };
}

class FileContext {
  readonly lines = new LineCounter();
  constructor(
    readonly file: string,
    readonly problems: SourceProblem[],
  ) {}

  at(offset: number, message: string, hint?: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ file: this.file, line, column: col, message, ...(hint ? { hint } : {}) });
  }

  /** Reports at a node's start (or the file start when there is no node). */
  node(node: unknown, message: string, hint?: string): void {
    const offset = isNode(node) && node.range ? node.range[0] : 0;
    this.at(offset, message, hint);
  }
}

/** The YAML node at a JSON-pointer-style path, or the nearest ancestor that exists. */
function nodeAt(doc: Document, segments: string[]): Node | null {
  let node: unknown = doc.contents;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
      if (!pair) return node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (!item) return node;
      node = item;
    } else break;
  }
  return isNode(node) ? node : null;
}

/** The key node of `key` inside the map at `segments`, for "unknown key" and "duplicate" reports. */
function keyNodeAt(doc: Document, segments: string[], key: string): Node | null {
  const map = nodeAt(doc, segments);
  if (!isMap(map)) return map;
  const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
  return pair && isNode(pair.key) ? pair.key : map;
}

function describePath(segments: string[]): string {
  if (segments[0] === 'intents' && segments[2] === 'examples' && segments.length === 4) {
    return `example ${Number(segments[3]) + 1} of intent '${segments[1]}'`;
  }
  if (segments[0] === 'intents' && segments.length >= 2) {
    return `intent '${segments[1]}'${segments.length > 2 ? ` ${segments.slice(2).join('.')}` : ''}`;
  }
  if (segments[0] === OUT_OF_SCOPE && segments.length === 2) {
    return `out-of-scope example ${Number(segments[1]) + 1}`;
  }
  if (segments[0] === 'entities' && segments.length >= 2) {
    return `entity '${segments[1]}'${segments.length > 2 ? ` ${segments.slice(2).join('.')}` : ''}`;
  }
  return segments.length ? segments.join('.') : 'the file';
}

function schemaProblems(ctx: FileContext, doc: Document, errors: ErrorObject[]): void {
  const segmentsOf = (e: ErrorObject) =>
    e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  // Ajv reports a failed `oneOf` once plus once per branch; keep one readable message per path.
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  const seen = new Set<string>();
  for (const e of errors) {
    const segments = segmentsOf(e);
    const where = describePath(segments);
    let key = `${e.instancePath}|${e.keyword}`;
    if (
      oneOfPaths.has(e.instancePath) &&
      e.keyword !== 'oneOf' &&
      e.keyword !== 'additionalProperties' &&
      e.keyword !== 'dependencies'
    ) {
      continue;
    }
    if (e.keyword === 'additionalProperties') {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      key += extra;
      if (seen.has(key)) continue;
      seen.add(key);
      const allowed =
        segments.length === 0
          ? 'language, entities, intents, out_of_scope'
          : segments[0] === 'intents'
            ? 'examples, answers, entities'
            : 'builtin, list, fuzzy, regex, caseSensitive';
      const guess = nearest(extra, allowed.split(', '));
      ctx.node(
        keyNodeAt(doc, segments, extra),
        `unknown key '${extra}' in ${where}`,
        `${guess ? `did you mean '${guess}'? ` : ''}allowed keys: ${allowed}`,
      );
      continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    const node = nodeAt(doc, segments);
    switch (e.keyword) {
      case 'required': {
        const missing = String((e.params as { missingProperty: string }).missingProperty);
        if (missing === 'examples')
          ctx.node(
            node,
            `${where} has no examples`,
            'add `examples:` with a few things a customer might say',
          );
        else if (segments.length === 0 && (missing === 'intents' || missing === OUT_OF_SCOPE)) {
          // The root `anyOf` (intents or out_of_scope) fails with one `required` per branch.
          if (seen.has('|root-section')) break;
          seen.add('|root-section');
          ctx.node(
            node,
            'the file has no `intents:` (or `out_of_scope:`) section',
            'add `intents:` with at least one intent',
          );
        } else ctx.node(node, `${where} needs '${missing}'`);
        break;
      }
      case 'minItems':
        if (segments.at(-1) === 'examples') {
          ctx.node(
            node,
            `intent '${segments[1]}' has no examples`,
            'give every intent at least one example (5–20 work best)',
          );
        } else ctx.node(node, `${where} is empty`);
        break;
      case 'minProperties':
        ctx.node(node, `${where} is empty`);
        break;
      case 'oneOf':
        if (segments[0] === 'entities' && segments.length === 2) {
          ctx.node(
            node,
            `${where} must have exactly one of 'builtin', 'list' or 'regex'`,
            "e.g. `{ regex: 'ORD-\\d{5}' }` or `{ list: { shoes: [sneakers] } }`",
          );
        } else {
          ctx.node(
            node,
            `${where} must be a list of values or a map of value → synonyms`,
            'e.g. `list: { shoes: [sneakers, trainers] }`',
          );
        }
        break;
      case 'type': {
        const expected = String((e.params as { type: string | string[] }).type);
        const hint =
          segments.length === 0
            ? 'an intents file is a mapping with `intents:` (and optionally `entities:`, `language:`)'
            : undefined;
        ctx.node(
          node,
          `${where} must be ${expected === 'array' ? 'a list' : expected === 'object' ? 'a mapping' : `a ${expected}`}`,
          hint,
        );
        break;
      }
      case 'enum':
        ctx.node(node, `${where} must be one of: ${BUILTIN_ENTITIES.join(', ')}`);
        break;
      case 'anyOf':
        break; // reported by the `required` errors of its branches
      case 'propertyNames':
        break; // reported by the `pattern` error that comes with it
      case 'pattern':
        if (segments.at(-1) === 'language' && segments.length === 1) {
          const value = isScalar(node) ? String(node.value) : '';
          ctx.node(node, `language '${value}' is not an ISO 639-1 code`, 'e.g. en, de, fr, es');
        } else {
          const name = String(e.propertyName ?? '');
          ctx.node(
            keyNodeAt(doc, segments, name),
            `invalid name '${name}' in ${segments[0] ?? 'the file'}`,
            'names start with a letter and use letters, digits, _ . -',
          );
        }
        break;
      case 'dependencies':
        ctx.node(
          node,
          `${where}: ${e.message ?? 'invalid'}`,
          "'fuzzy' goes with 'list', 'caseSensitive' with 'regex'",
        );
        break;
      case 'minLength':
        ctx.node(node, `${where} is an empty string`);
        break;
      default:
        ctx.node(node, `${where} ${e.message ?? 'is invalid'}`);
    }
  }
}

interface ParsedFile {
  ctx: FileContext;
  doc: Document;
  data: RawFile;
}

async function parseFile(file: string, problems: SourceProblem[]): Promise<ParsedFile | null> {
  const ctx = new FileContext(file, problems);
  const source = await readFile(file, 'utf8');
  const doc = parseDocument(source, { lineCounter: ctx.lines, prettyErrors: false, uniqueKeys: true });
  // The first syntax error only: the parser's later ones follow from it and are noise.
  const err = doc.errors[0];
  if (err) {
    const hint =
      err.code === 'DUPLICATE_KEY'
        ? 'each name may appear once; merge the two entries'
        : err.code === 'TAB_AS_INDENT'
          ? 'indent with spaces'
          : 'check indentation and quoting; quote text that contains ": " or starts with a special character';
    ctx.at(err.pos[0], `invalid YAML: ${err.message.split('\n')[0]}`, hint);
    return null;
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) {
    ctx.at(0, 'the file is empty', 'add `intents:` with at least one intent, or delete the file');
    return null;
  }
  if (!validateFile(data)) {
    schemaProblems(ctx, doc, validateFile.errors ?? []);
    return null;
  }
  return { ctx, doc, data };
}

/**
 * Reads every `*.yml` / `*.yaml` file in `dir` (sorted, not recursive) into one intent set.
 *
 * @throws SourceFileError (`SB_INTENTS_INVALID`) listing every problem in every file.
 * @example
 * const set = await loadIntents('intents');
 * const engine = await NluEngine.train(set, { cacheDir: '.switchboard/nlu' });
 */
export async function loadIntents(dir: string, options: { language?: string } = {}): Promise<IntentSet> {
  const problems: SourceProblem[] = [];
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SourceFileError('SB_INTENTS_INVALID', [
      {
        file: dir,
        line: 1,
        column: 1,
        message: `cannot read the intents folder (${code ?? String(err)})`,
        hint: 'create it, or point the bot at the right folder',
      },
    ]);
  }
  if (names.length === 0) {
    throw new SourceFileError('SB_INTENTS_INVALID', [
      {
        file: dir,
        line: 1,
        column: 1,
        message: 'no intents files (*.yml) in this folder',
        hint: 'add e.g. intents/faq.yml with an `intents:` section',
      },
    ]);
  }
  const parsed: ParsedFile[] = [];
  for (const name of names) {
    const p = await parseFile(path.join(dir, name), problems);
    if (p) parsed.push(p);
  }

  // Cross-file checks. First declarations win; later ones are reported with a pointer back.
  let language = options.language;
  let languageFrom = options.language ? 'the bot settings' : '';
  const entities = new Map<string, EntityDefinition>();
  // Names declared anywhere, even when the declaration itself is broken: no cascade of "unknown entity".
  const declared = new Set<string>();
  const intents = new Map<string, IntentDefinition>();
  const exampleOwner = new Map<string, { intent: string; file: string; line: number }>();
  for (const { ctx, doc, data } of parsed) {
    const where = (node: Node | null) => {
      const offset = node?.range?.[0] ?? 0;
      return ctx.lines.linePos(offset);
    };
    if (data.language) {
      const node = nodeAt(doc, ['language']);
      if (language && language !== data.language) {
        ctx.node(
          node,
          `language '${data.language}' differs from '${language}' set in ${languageFrom}`,
          'one bot, one language: make the files agree',
        );
      } else if (!language) {
        language = data.language;
        const pos = where(node);
        languageFrom = `${ctx.file}:${pos.line}:${pos.col}`;
      }
    }
    for (const [name, raw] of Object.entries(data.entities ?? {})) {
      const keyNode = keyNodeAt(doc, ['entities'], name);
      const pos = where(keyNode);
      const prev = entities.get(name);
      if (prev) {
        ctx.node(
          keyNode,
          `entity '${name}' is declared twice`,
          `first declared at ${prev.file}:${prev.line}`,
        );
        continue;
      }
      if ((BUILTIN_ENTITIES as readonly string[]).includes(name)) {
        ctx.node(
          keyNode,
          `entity '${name}' has the name of a built-in`,
          `built-ins (${BUILTIN_ENTITIES.join(', ')}) need no declaration; pick another name`,
        );
        continue;
      }
      declared.add(name);
      const base = { name, file: ctx.file, line: pos.line };
      if (raw.builtin) entities.set(name, { ...base, kind: 'builtin', builtin: raw.builtin });
      else if (raw.regex !== undefined) {
        try {
          new RegExp(raw.regex, 'u');
          entities.set(name, {
            ...base,
            kind: 'regex',
            pattern: raw.regex,
            caseSensitive: raw.caseSensitive ?? false,
          });
        } catch (err) {
          ctx.node(
            nodeAt(doc, ['entities', name, 'regex']),
            `entity '${name}': invalid regex (${(err as Error).message})`,
            "in YAML, single-quote patterns so backslashes stay literal: 'ORD-\\d{5}'",
          );
        }
      } else if (raw.list) {
        const values = Array.isArray(raw.list)
          ? raw.list.map((value) => ({ value, synonyms: [] }))
          : Object.entries(raw.list).map(([value, synonyms]) => ({ value, synonyms: synonyms ?? [] }));
        entities.set(name, { ...base, kind: 'list', values, fuzzy: raw.fuzzy ?? true });
      }
    }
  }
  for (const { ctx, doc, data } of parsed) {
    for (const [name, raw] of Object.entries(data.intents ?? {})) {
      const keyNode = keyNodeAt(doc, ['intents'], name);
      const line = keyNode?.range ? ctx.lines.linePos(keyNode.range[0]).line : 1;
      if (name === OUT_OF_SCOPE) {
        ctx.node(
          keyNode,
          `'${OUT_OF_SCOPE}' is reserved and cannot be an intent`,
          `list things the bot must not answer under a top-level \`${OUT_OF_SCOPE}:\` key instead`,
        );
        continue;
      }
      const prev = intents.get(name);
      if (prev) {
        ctx.node(
          keyNode,
          `intent '${name}' is declared twice`,
          `first declared at ${prev.file}:${prev.line}; merge the examples into one`,
        );
        continue;
      }
      (raw.entities ?? []).forEach((entity, i) => {
        if (!declared.has(entity) && !(BUILTIN_ENTITIES as readonly string[]).includes(entity)) {
          const known = [...entities.keys(), ...BUILTIN_ENTITIES].join(', ');
          ctx.node(
            nodeAt(doc, ['intents', name, 'entities', String(i)]),
            `intent '${name}' uses unknown entity '${entity}'`,
            `declare it under \`entities:\` or use one of: ${known}`,
          );
        }
      });
      raw.examples.forEach((example, i) => {
        const key = normalise(example)
          .replace(/[^\p{L}\p{N}]+/gu, ' ')
          .trim();
        const owner = exampleOwner.get(key);
        if (owner && owner.intent !== name) {
          ctx.node(
            nodeAt(doc, ['intents', name, 'examples', String(i)]),
            `example "${example}" is also an example of intent '${owner.intent}'`,
            `the same words cannot mean two things; keep it in one intent (see ${owner.file}:${owner.line})`,
          );
        } else if (!owner) {
          const node = nodeAt(doc, ['intents', name, 'examples', String(i)]);
          exampleOwner.set(key, {
            intent: name,
            file: ctx.file,
            line: node?.range ? ctx.lines.linePos(node.range[0]).line : line,
          });
        }
      });
      intents.set(name, {
        name,
        examples: raw.examples,
        ...(raw.answers ? { answers: raw.answers } : {}),
        ...(raw.entities ? { entities: raw.entities } : {}),
        file: ctx.file,
        line,
      });
    }
  }
  // Negative examples, merged in file order. One that is also an intent's example is an error:
  // the same words cannot be both answered and rejected.
  const outOfScope: string[] = [];
  const negatives = new Set<string>();
  for (const { ctx, doc, data } of parsed) {
    (data.out_of_scope ?? []).forEach((example, i) => {
      const key = normalise(example)
        .replace(/[^\p{L}\p{N}]+/gu, ' ')
        .trim();
      const owner = exampleOwner.get(key);
      if (owner) {
        ctx.node(
          nodeAt(doc, [OUT_OF_SCOPE, String(i)]),
          `out-of-scope example "${example}" is also an example of intent '${owner.intent}'`,
          `the bot cannot both answer and reject it; keep it in one place (see ${owner.file}:${owner.line})`,
        );
      } else if (!negatives.has(key)) {
        negatives.add(key);
        outOfScope.push(example);
      }
    });
  }
  if (problems.length === 0 && intents.size === 0) {
    problems.push({
      file: dir,
      line: 1,
      column: 1,
      message: 'no intents in any file (only `out_of_scope:` examples)',
      hint: 'add `intents:` with at least one intent to one of the files',
    });
  }
  if (problems.length > 0) {
    // Files in name order, each file's problems top to bottom, like a compiler.
    const order = new Map(names.map((n, i) => [path.join(dir, n), i]));
    problems.sort(
      (a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.line - b.line || a.column - b.column,
    );
    throw new SourceFileError('SB_INTENTS_INVALID', problems);
  }
  const set = {
    intents: [...intents.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    entities: [...entities.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    language: language ?? 'en',
    outOfScope,
  };
  return { ...set, hash: hashOf(set) };
}
