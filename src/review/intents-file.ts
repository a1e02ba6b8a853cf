/**
 * Writes a review decision into the bot's `intents/*.yml`, editing the YAML document
 * (the `yaml` package's Document API) so every comment, blank line and quoting style the
 * author wrote stays as it was: new examples are appended to the intent's list, a new
 * intent is added to `intents/learned.yml` (or the file named), out-of-scope examples to the
 * file that already has `out_of_scope:`.
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Document, isMap, isSeq, parseDocument, type YAMLSeq } from 'yaml';
import { PayloadError } from '../errors';

export type Decision =
  | { action: 'intent'; intent: string; examples: string[]; answer?: string; file?: string }
  | { action: 'out_of_scope'; examples: string[]; file?: string };

export interface FileChange {
  /** Relative to the bot folder: `intents/shop.yml`. */
  file: string;
  before: string;
  after: string;
  /** The examples actually added (the ones the file did not have yet). */
  added: string[];
  /** True when the intent did not exist before. */
  newIntent: boolean;
  /** A unified diff of the change (what to apply where the files are not writable). */
  patch: string;
}

const NEW_INTENTS_FILE = 'learned.yml';
const HEADER = `# Intents added from the review inbox (switchboard console / \`switchboard review\`).
# yaml-language-server: $schema=../src/nlu/intents.schema.json
`;

function intentFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

/** Appends `texts` to `seq`, skipping those it already holds (case-insensitive). */
function appendNew(doc: Document, seq: YAMLSeq, texts: string[]): string[] {
  const have = new Set(
    seq.items.map((item) => String((item as { value?: unknown }).value ?? item).toLowerCase()),
  );
  const added: string[] = [];
  for (const text of texts) {
    const t = text.trim();
    if (!t || have.has(t.toLowerCase())) continue;
    have.add(t.toLowerCase());
    seq.add(doc.createNode(t));
    added.push(t);
  }
  return added;
}

/** The change a decision makes, computed without writing anything. */
export function planChange(botDir: string, decision: Decision): FileChange {
  const dir = path.join(botDir, 'intents');
  const files = intentFiles(dir);
  const docs = new Map<string, { text: string; doc: Document }>();
  const load = (file: string) => {
    let entry = docs.get(file);
    if (!entry) {
      const full = path.join(dir, file);
      const text = existsSync(full) ? readFileSync(full, 'utf8') : HEADER;
      entry = { text, doc: parseDocument(text) };
      docs.set(file, entry);
    }
    return entry;
  };
  if (decision.file !== undefined && !/^[\w.-]+\.ya?ml$/.test(decision.file))
    throw new PayloadError('file: must be a file name in intents/, such as learned.yml', 'file');

  let target: string | undefined;
  let added: string[] = [];
  let newIntent = false;
  if (decision.action === 'intent') {
    target = files.find((f) => load(f).doc.hasIn(['intents', decision.intent]));
    if (target) {
      const { doc } = load(target);
      let seq = doc.getIn(['intents', decision.intent, 'examples'], true);
      if (!isSeq(seq)) {
        doc.setIn(['intents', decision.intent, 'examples'], doc.createNode([]));
        seq = doc.getIn(['intents', decision.intent, 'examples'], true);
      }
      added = appendNew(doc, seq as YAMLSeq, decision.examples);
      if (decision.answer) {
        const answers = doc.getIn(['intents', decision.intent, 'answers'], true);
        if (isSeq(answers)) appendNew(doc, answers, [decision.answer]);
        else doc.setIn(['intents', decision.intent, 'answers'], doc.createNode([decision.answer]));
      }
    } else {
      target = decision.file ?? NEW_INTENTS_FILE;
      const { doc } = load(target);
      if (!isMap(doc.get('intents', true))) doc.set('intents', doc.createNode({}));
      const examples = [...new Set(decision.examples.map((e) => e.trim()).filter(Boolean))];
      doc.setIn(
        ['intents', decision.intent],
        doc.createNode({ examples, ...(decision.answer ? { answers: [decision.answer] } : {}) }),
      );
      added = examples;
      newIntent = true;
    }
  } else {
    target =
      decision.file ?? files.find((f) => isSeq(load(f).doc.get('out_of_scope', true))) ?? 'out_of_scope.yml';
    const { doc } = load(target);
    if (!isSeq(doc.get('out_of_scope', true))) doc.set('out_of_scope', doc.createNode([]));
    added = appendNew(doc, doc.get('out_of_scope', true) as YAMLSeq, decision.examples);
  }
  const { text: before, doc } = load(target);
  const after = serializeLike(doc, before);
  const file = `intents/${target}`;
  return {
    file,
    before,
    after,
    added,
    newIntent,
    patch: (require('diff') as typeof import('diff')).createTwoFilesPatch(
      `a/${file}`,
      `b/${file}`,
      existsSync(path.join(dir, target)) ? before : '',
      after,
    ),
  };
}

/**
 * The document as text, in the author's own style as far as the yaml package can follow it:
 * lineWidth 0 keeps long answers on one line; flow collections with or without padding
 * (`[a, b]` / `{ a: 1 }`) and double-quoted strings with `\n` escapes or folded are each tried,
 * and the output that changes the fewest of the file's other lines wins.
 */
function serializeLike(doc: Document, original: string): string {
  const kept = new Set(original.split('\n'));
  let best: { text: string; changed: number } | undefined;
  for (const flowCollectionPadding of [true, false]) {
    for (const doubleQuotedAsJSON of [false, true]) {
      const text = doc.toString({ lineWidth: 0, flowCollectionPadding, doubleQuotedAsJSON });
      const changed = text.split('\n').filter((line) => !kept.has(line)).length;
      if (!best || changed < best.changed) best = { text, changed };
    }
  }
  return (best as { text: string }).text;
}

/**
 * Writes the change (a temporary file renamed over the old one, so a reader never sees half
 * a file). False when the folder is not writable (a read-only container image): the caller
 * offers the patch instead.
 */
export function writeChange(botDir: string, change: FileChange): boolean {
  const full = path.join(botDir, change.file);
  const temp = `${full}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, change.after);
    renameSync(temp, full);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EROFS' || code === 'EPERM') return false;
    throw error;
  }
}

/** Puts the file back as it was (a change the NLU could not load). */
export function revertChange(botDir: string, change: FileChange, existed: boolean): void {
  const full = path.join(botDir, change.file);
  if (existed) writeFileSync(full, change.before);
  else unlinkSync(full);
}
