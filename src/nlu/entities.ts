/**
 * Entity extraction: built-ins (number, email, phone, url, datetime, money), lists of values
 * with synonyms and typo-tolerant matching, and regex patterns. Offsets are UTF-16 indices
 * into the original text, so `text.slice(start, end) === entity.text`.
 */
import type * as chrono from 'chrono-node';
import { DamerauLevenshteinDistance } from 'natural/lib/natural/distance/levenshtein_distance';
import {
  formatDateTime,
  formatMoney,
  type LocaleSettings,
  systemTimeZone,
  zonedTime,
  zoneOffsetMinutes,
} from '../util/locale-format';
import { normalise, stemmerFor } from './text';

/** The built-in entity kinds, usable by name in an intents file without declaring them. */
export const BUILTIN_ENTITIES = ['number', 'email', 'phone', 'url', 'datetime', 'money'] as const;
export type BuiltinEntity = (typeof BUILTIN_ENTITIES)[number];

interface EntityBase {
  name: string;
  /** Where it was declared; absent for the implicit built-ins. */
  file?: string;
  line?: number;
}

/** A declared (or implicit built-in) entity. */
export type EntityDefinition =
  | (EntityBase & { kind: 'builtin'; builtin: BuiltinEntity })
  | (EntityBase & {
      kind: 'list';
      /** Canonical values with their synonyms (the value itself always matches). */
      values: { value: string; synonyms: string[] }[];
      /** Accept small typos (Damerau-Levenshtein, scaled by word length). Default true. */
      fuzzy: boolean;
    })
  | (EntityBase & { kind: 'regex'; pattern: string; caseSensitive: boolean });

/** One entity found in an utterance. */
export interface Entity {
  /** The entity's name (`order_number`, or a built-in's name). */
  entity: string;
  kind: string;
  /**
   * number → number; money → {amount, currency, text}; datetime → {start, end?, grain, text}
   * (`text` as the customer reads it: "Saturday 5 December at 20:00", "€20.00"); list →
   * canonical value; others → string.
   */
  value: unknown;
  text: string;
  start: number;
  end: number;
}

export interface ExtractOptions {
  language?: string;
  /** "Now" for relative dates; defaults to the current time. */
  referenceDate?: Date;
  /** Dates and times are meant in this IANA zone (default: the machine's). */
  timeZone?: string;
  /** How `text` of dates and amounts is written (default: `language`). */
  locale?: string;
  /** For amounts without a currency. */
  currency?: string;
}

function localeOf(options: ExtractOptions): LocaleSettings {
  return {
    timeZone: options.timeZone ?? systemTimeZone(),
    locale: options.locale ?? options.language ?? 'en',
    ...(options.currency ? { currency: options.currency } : {}),
  };
}

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}/gu;
const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"']+[^\s<>"'.,;:!?)\]]/giu;
const PHONE = /(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){1,4}(?!\w)/g;
const CURRENCY_SYMBOLS: Record<string, string> = {
  $: 'USD',
  '€': 'EUR',
  '£': 'GBP',
  '¥': 'JPY',
  '₹': 'INR',
  '₩': 'KRW',
  '₽': 'RUB',
  '₺': 'TRY',
};
const CURRENCY_WORDS: Record<string, string> = {
  dollar: 'USD',
  dollars: 'USD',
  bucks: 'USD',
  usd: 'USD',
  euro: 'EUR',
  euros: 'EUR',
  eur: 'EUR',
  pound: 'GBP',
  pounds: 'GBP',
  quid: 'GBP',
  gbp: 'GBP',
  yen: 'JPY',
  jpy: 'JPY',
  chf: 'CHF',
  francs: 'CHF',
  cad: 'CAD',
  aud: 'AUD',
  rupees: 'INR',
  inr: 'INR',
};
const AMOUNT = String.raw`\d{1,3}(?:[,\s]\d{3})+(?:\.\d+)?|\d+(?:[.,]\d{1,2})?`;
const SYMBOLS = '[$€£¥₹₩₽₺]';
const WORDS = Object.keys(CURRENCY_WORDS).join('|');
const MONEY = new RegExp(
  String.raw`(?:\b(${Object.keys(CURRENCY_WORDS)
    .filter((w) => w.length === 3)
    .join(
      '|',
    )})\s?|(${SYMBOLS})\s?)(${AMOUNT})(?:\s?(k|m)\b)?|(${AMOUNT})(?:\s?(k|m)\b)?\s?(?:(${SYMBOLS})|\b(${WORDS})\b)`,
  'giu',
);
const NUMBER =
  /(?<![\p{L}\p{N}.,])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\p{L}\p{N}])|(?<![\p{L}\p{N}.,])-?\d+(?:\.\d+)?(?![\p{L}\p{N}])/gu;
const NUMBER_WORDS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  hundred: 100,
  dozen: 12,
};
const NUMBER_WORD = new RegExp(
  `\\b(?:${Object.keys(NUMBER_WORDS).join('|')})(?:[-\\s](?:${Object.keys(NUMBER_WORDS).join('|')}))*\\b`,
  'giu',
);

type ChronoParser = Pick<typeof chrono.en, 'parse'>;
let chronoParsers: Record<string, ChronoParser> | undefined;

/**
 * chrono's casual parser for `language`; languages it does not know fall back to English.
 * chrono (about 270 modules) loads on the first date, not with the NLU.
 */
function chronoFor(language: string): ChronoParser {
  if (!chronoParsers) {
    const c = require('chrono-node') as typeof chrono;
    chronoParsers = {
      en: c.en,
      de: c.de,
      fr: c.fr,
      ja: c.ja,
      pt: c.pt,
      nl: c.nl,
      ru: c.ru,
      es: c.es,
      uk: c.uk,
      it: c.it,
      sv: c.sv,
      zh: c.zh,
    };
  }
  return chronoParsers[language] ?? (chronoParsers.en as ChronoParser);
}

function parseAmount(raw: string, scale?: string): number {
  // "1,299.50" and "1 299" use separators for thousands; "12,50" uses a decimal comma.
  let s = raw.replace(/\s/g, '');
  if (/^\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/,/g, '');
  else s = s.replace(',', '.');
  const multiplier = scale?.toLowerCase() === 'k' ? 1e3 : scale?.toLowerCase() === 'm' ? 1e6 : 1;
  return Number(s) * multiplier;
}

function wordsToNumber(words: string): number {
  let total = 0;
  let current = 0;
  for (const w of words.toLowerCase().split(/[-\s]+/)) {
    const v = NUMBER_WORDS[w];
    if (v === undefined) continue;
    if (v === 100) current = (current || 1) * 100;
    else current += v;
  }
  total += current;
  return total;
}

function* matches(re: RegExp, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    yield m;
  }
}

function builtin(kind: BuiltinEntity, text: string, options: ExtractOptions): Entity[] {
  const found: Entity[] = [];
  const add = (value: unknown, start: number, matched: string) =>
    found.push({ entity: kind, kind, value, text: matched, start, end: start + matched.length });
  switch (kind) {
    case 'email':
      for (const m of matches(EMAIL, text)) add(m[0].toLowerCase(), m.index, m[0]);
      break;
    case 'url':
      for (const m of matches(URL_RE, text))
        add(m[0].startsWith('www.') ? `https://${m[0]}` : m[0], m.index, m[0]);
      break;
    case 'phone':
      for (const m of matches(PHONE, text)) {
        const digits = m[0].replace(/\D/g, '');
        if (digits.length < 7 || digits.length > 15) continue;
        add(`${m[0].trim().startsWith('+') ? '+' : ''}${digits}`, m.index, m[0]);
      }
      break;
    case 'money':
      for (const m of matches(MONEY, text)) {
        const amount = m[3] ? parseAmount(m[3], m[4]) : parseAmount(m[5] ?? '0', m[6]);
        const code = m[1] ?? m[2] ?? m[7] ?? m[8] ?? '';
        const currency = CURRENCY_SYMBOLS[code] ?? CURRENCY_WORDS[code.toLowerCase()] ?? code.toUpperCase();
        const text = formatMoney({ amount, currency }, localeOf(options)) ?? m[0];
        add({ amount, currency, text }, m.index, m[0]);
      }
      break;
    case 'number':
      for (const m of matches(NUMBER, text))
        add(parseAmount(m[0].replace(/^-/, ''), undefined) * (m[0].startsWith('-') ? -1 : 1), m.index, m[0]);
      if ((options.language ?? 'en').startsWith('en'))
        for (const m of matches(NUMBER_WORD, text)) add(wordsToNumber(m[0]), m.index, m[0]);
      break;
    case 'datetime': {
      const parser = chronoFor((options.language ?? 'en').slice(0, 2));
      const ref = options.referenceDate ?? new Date();
      const settings = localeOf(options);
      // chrono reads "tomorrow at 8pm" as a wall-clock time in the zone it is told (as an
      // offset); the instant is then computed for that date, so daylight saving time is right.
      const reference = { instant: ref, timezone: zoneOffsetMinutes(ref, settings.timeZone) };
      const instant = (c: chrono.ParsedComponents, shift = 0): Date =>
        zonedTime(
          {
            year: c.get('year') ?? ref.getUTCFullYear(),
            month: c.get('month') ?? 1,
            day: c.get('day') ?? 1,
            hour: (c.get('hour') ?? 0) + shift,
            minute: c.get('minute') ?? 0,
            second: c.get('second') ?? 0,
          },
          settings.timeZone,
        );
      for (const r of parser.parse(text, reference, { forwardDate: true })) {
        // "tomorrow at 5": customer service hours make 17:00 the likely meaning, chrono says 05:00.
        const hour = r.start.get('hour');
        const shift =
          !r.start.isCertain('meridiem') &&
          r.start.isCertain('hour') &&
          hour !== null &&
          hour >= 1 &&
          hour <= 7
            ? 12
            : 0;
        const start = instant(r.start, shift);
        const grain = r.start.isCertain('hour') ? 'time' : 'day';
        add(
          {
            start: start.toISOString(),
            ...(r.end ? { end: instant(r.end).toISOString() } : {}),
            grain,
            text: formatDateTime(start, settings, grain),
          },
          r.index,
          r.text,
        );
      }
      break;
    }
  }
  return found;
}

interface WordSpan {
  norm: string;
  stem: string;
  start: number;
  end: number;
}

const WORD_SPAN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

function words(text: string, stem: (t: string) => string): WordSpan[] {
  const out: WordSpan[] = [];
  for (const m of matches(WORD_SPAN, text)) {
    const norm = normalise(m[0]);
    out.push({ norm, stem: stem(norm), start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Edits allowed for a typo of a word of this length: none for short words, where a typo is another word. */
function allowedEdits(length: number): number {
  return length >= 9 ? 2 : length >= 4 ? 1 : 0;
}

interface CompiledList {
  name: string;
  fuzzy: boolean;
  /** Each phrase as normalised words and stems, longest first. */
  phrases: { value: string; norm: string[]; stems: string[] }[];
}

function compileList(
  def: Extract<EntityDefinition, { kind: 'list' }>,
  stem: (t: string) => string,
): CompiledList {
  const phrases: CompiledList['phrases'] = [];
  for (const { value, synonyms } of def.values) {
    for (const phrase of [value, ...synonyms]) {
      const norm = words(phrase, stem).map((w) => w.norm);
      if (norm.length > 0) phrases.push({ value, norm, stems: norm.map(stem) });
    }
  }
  phrases.sort((a, b) => b.norm.length - a.norm.length);
  return { name: def.name, fuzzy: def.fuzzy, phrases };
}

function matchList(list: CompiledList, spans: WordSpan[], text: string): Entity[] {
  const found: Entity[] = [];
  const used = new Uint8Array(spans.length);
  // Three passes so an exact match anywhere beats a stem match, which beats a typo match.
  for (const mode of ['exact', 'stem', 'fuzzy'] as const) {
    if (mode === 'fuzzy' && !list.fuzzy) break;
    for (const phrase of list.phrases) {
      const n = phrase.norm.length;
      for (let i = 0; i + n <= spans.length; i++) {
        let ok = true;
        for (let k = 0; k < n && ok; k++) {
          if (used[i + k]) ok = false;
          const w = spans[i + k] as WordSpan;
          const p = phrase.norm[k] as string;
          if (w.norm === p) continue;
          if (mode !== 'exact' && w.stem === phrase.stems[k]) continue;
          if (mode === 'fuzzy') {
            const limit = allowedEdits(Math.min(p.length, w.norm.length));
            // Cheap length check first: the distance is at least the length difference.
            if (limit > 0 && Math.abs(p.length - w.norm.length) <= limit && w.norm[0] === p[0]) {
              const d = DamerauLevenshteinDistance(w.norm, p);
              if (d <= limit) continue;
            }
          }
          ok = false;
        }
        if (!ok) continue;
        const first = spans[i] as WordSpan;
        const last = spans[i + n - 1] as WordSpan;
        for (let k = 0; k < n; k++) used[i + k] = 1;
        found.push({
          entity: list.name,
          kind: 'list',
          value: phrase.value,
          text: text.slice(first.start, last.end),
          start: first.start,
          end: last.end,
        });
      }
    }
  }
  return found;
}

/** Compiled extractors for a set of entity definitions; build once per engine, call per message. */
export class EntityExtractor {
  private readonly stem: (t: string) => string;
  private readonly lists: CompiledList[];
  private readonly regexes: { name: string; re: RegExp }[];
  private readonly builtins: { name: string; kind: BuiltinEntity }[];

  constructor(
    readonly definitions: readonly EntityDefinition[],
    private readonly options: ExtractOptions = {},
  ) {
    this.stem = stemmerFor(options.language ?? 'en');
    this.lists = [];
    this.regexes = [];
    const builtins = new Map<string, BuiltinEntity>(BUILTIN_ENTITIES.map((b) => [b, b]));
    for (const def of definitions) {
      if (def.kind === 'list') this.lists.push(compileList(def, this.stem));
      else if (def.kind === 'regex')
        this.regexes.push({ name: def.name, re: new RegExp(def.pattern, def.caseSensitive ? 'gu' : 'giu') });
      else builtins.set(def.name, def.builtin);
    }
    this.builtins = [...builtins].map(([name, kind]) => ({ name, kind }));
  }

  /**
   * All entities in `text`, or only those named in `names`. Overlaps are resolved in favour of
   * declared entities (regex, then lists), then longer matches, so "ORD-12345" is an order
   * number and not the number 12345, and "$20" is money, not a number.
   */
  extract(text: string, names?: readonly string[], referenceDate?: Date): Entity[] {
    const wanted = names ? new Set(names) : null;
    const candidates: { entity: Entity; priority: number }[] = [];
    for (const { name, re } of this.regexes) {
      for (const m of matches(re, text)) {
        candidates.push({
          entity: {
            entity: name,
            kind: 'regex',
            value: m[0],
            text: m[0],
            start: m.index,
            end: m.index + m[0].length,
          },
          priority: 0,
        });
      }
    }
    if (this.lists.length > 0) {
      const spans = words(text, this.stem);
      for (const list of this.lists) {
        for (const entity of matchList(list, spans, text)) candidates.push({ entity, priority: 1 });
      }
    }
    const order: BuiltinEntity[] = ['email', 'url', 'money', 'phone', 'datetime', 'number'];
    for (const { name, kind } of this.builtins) {
      const options = { ...this.options, ...(referenceDate ? { referenceDate } : {}) };
      for (const entity of builtin(kind, text, options)) {
        // A declared alias (`delivery_date: { builtin: datetime }`) wins over the implicit built-in.
        const alias = name !== kind ? 0.5 : 0;
        candidates.push({ entity: { ...entity, entity: name }, priority: 2 + order.indexOf(kind) - alias });
      }
    }
    candidates.sort(
      (a, b) =>
        a.priority - b.priority ||
        b.entity.end - b.entity.start - (a.entity.end - a.entity.start) ||
        a.entity.start - b.entity.start,
    );
    const kept: Entity[] = [];
    for (const { entity } of candidates) {
      if (kept.some((k) => entity.start < k.end && k.start < entity.end)) continue;
      kept.push(entity);
    }
    // Filter after resolving overlaps, so asking only for numbers never returns the digits of an order number.
    return kept.filter((e) => !wanted || wanted.has(e.entity)).sort((a, b) => a.start - b.start);
  }
}

/**
 * The same entities with dates read in another time zone and dates and amounts written for
 * another locale: the flows apply the bot's settings to what the NLU found. Other entities are
 * returned as they are.
 */
export function localiseEntities(entities: readonly Entity[], options: ExtractOptions): Entity[] {
  return entities.map((e) => {
    if (e.kind !== 'datetime' && e.kind !== 'money') return e;
    const again = builtin(e.kind, e.text, options)[0];
    return again ? { ...e, value: again.value } : e;
  });
}
