/**
 * One knowledge file (`knowledge/*.md`, `*.html`) → a document: its front matter (title, url,
 * channels, language) and its text cut into passages by heading. Every problem a bot author
 * can make is reported as file:line:column with a hint, like intents and flows.
 *
 * @module
 */
import path from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import type { SourceProblem } from '../errors';
import { yamlOffset } from '../util/yaml-position';

/** A passage: one section (or part of a long one) under its heading. */
export interface Passage {
  /** `<document id>#<n>`. */
  id: string;
  documentId: string;
  /** The section heading (the document title for the text before the first heading). */
  heading: string;
  text: string;
}

/** A knowledge document as loaded. Plain data: it is cached as JSON. */
export interface KnowledgeDocument {
  /** The file name without extension, relative to `knowledge/` (`care/linen`). */
  id: string;
  title: string;
  url?: string;
  /** Channels the document may answer on; absent: all. */
  channels?: string[];
  /** ISO 639-1; default the bot's language. */
  language: string;
  file: string;
  passages: Passage[];
}

const FRONT_MATTER_KEYS = ['title', 'url', 'channels', 'language'] as const;
/** A section longer than this is cut into passages of whole blocks. */
const PASSAGE_CHARS = 700;

interface Block {
  heading: string;
  text: string;
}

/**
 * Parses one file's source. Problems go to `problems`; the document is returned only when
 * there are none for this file.
 */
export function parseKnowledgeFile(
  file: string,
  id: string,
  source: string,
  defaultLanguage: string,
  problems: SourceProblem[],
): KnowledgeDocument | null {
  const before = problems.length;
  const lines = new LineCounter();
  const at = (offset: number, message: string, hint?: string) => {
    const pos = lines.linePos(offset);
    problems.push({ file, line: pos.line, column: pos.col, message, ...(hint ? { hint } : {}) });
  };
  lines.addNewLine(0);
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) lines.addNewLine(i + 1);
  const front = frontMatter(source);
  let meta: Record<string, unknown> = {};
  let bodyOffset = 0;
  if (front === 'unclosed') {
    at(0, 'the front matter is not closed', 'end it with a line of three dashes: ---');
    return null;
  }
  if (front) {
    bodyOffset = front.end;
    const doc = parseDocument(front.yaml, { uniqueKeys: true, prettyErrors: false });
    const offset = (segments: string[], key = false) => front.start + yamlOffset(doc, segments, key);
    if (doc.errors.length) {
      for (const e of doc.errors) {
        at(front.start + (e.pos[0] ?? 0), `invalid front matter: ${e.message.split('\n')[0]}`);
      }
      return null;
    }
    const data: unknown = doc.toJS();
    if (data !== null && data !== undefined && !isMap(doc.contents)) {
      at(front.start, 'the front matter must be a mapping', 'e.g. `title: Returns policy`');
      return null;
    }
    meta = (data ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(meta)) {
      if (!(FRONT_MATTER_KEYS as readonly string[]).includes(key)) {
        at(
          offset([key], true),
          `unknown front matter key '${key}'`,
          `allowed: ${FRONT_MATTER_KEYS.join(', ')}`,
        );
      }
    }
    if (meta.title !== undefined && (typeof meta.title !== 'string' || !meta.title.trim())) {
      at(offset(['title']), 'title must be a non-empty text');
    }
    if (meta.url !== undefined && !isHttpUrl(meta.url)) {
      at(offset(['url']), 'url must be an http(s) URL', 'e.g. url: https://shop.example/help/returns');
    }
    if (
      meta.language !== undefined &&
      !(typeof meta.language === 'string' && /^[a-z]{2}$/i.test(meta.language))
    ) {
      at(offset(['language']), 'language must be a two-letter code (ISO 639-1)', 'e.g. language: en');
    }
    if (meta.channels !== undefined) {
      const list = typeof meta.channels === 'string' ? [meta.channels] : meta.channels;
      if (
        !Array.isArray(list) ||
        list.length === 0 ||
        !list.every((c) => typeof c === 'string' && /^[a-z][a-z0-9_-]*$/.test(c))
      ) {
        at(
          offset(['channels']),
          'channels must be a channel name or a list of them',
          'e.g. channels: [web, whatsapp]',
        );
      }
    }
  }
  const body = source.slice(bodyOffset);
  const html = /\.html?$/i.test(file);
  const parsed = html ? htmlBlocks(body) : markdownBlocks(body);
  const title = (typeof meta.title === 'string' && meta.title.trim()) || parsed.title || undefined;
  if (!title) {
    at(
      bodyOffset,
      'the document has no title',
      'add `title:` to the front matter, or start with a `# Heading`',
    );
  }
  const blocks = parsed.blocks.filter((b) => b.text.trim());
  if (blocks.length === 0) {
    at(bodyOffset, 'the document has no text', 'write the answer under the front matter, or delete the file');
  }
  if (problems.length > before || !title) return null;
  const url = typeof meta.url === 'string' ? meta.url : parsed.url;
  const channels =
    meta.channels === undefined ? undefined : ([] as string[]).concat(meta.channels as string[]);
  const language = (
    (typeof meta.language === 'string' ? meta.language : undefined) ??
    parsed.language ??
    defaultLanguage
  ).toLowerCase();
  return {
    id,
    title,
    ...(url ? { url } : {}),
    ...(channels ? { channels } : {}),
    language,
    file,
    passages: passagesOf(id, title, blocks),
  };
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The YAML between a leading `---` line and the next `---` line, with offsets. */
function frontMatter(source: string): { yaml: string; start: number; end: number } | 'unclosed' | null {
  const open = /^\uFEFF?---[ \t]*\r?\n/.exec(source);
  if (!open) return null;
  const start = open[0].length;
  const close = /^---[ \t]*(\r?\n|$)/m;
  const rest = source.slice(start);
  const m = close.exec(rest);
  if (!m) return 'unclosed';
  return { yaml: rest.slice(0, m.index), start, end: start + m.index + m[0].length };
}

/** Sections of at most {@link PASSAGE_CHARS}, cut between blocks, each under its heading. */
function passagesOf(id: string, title: string, blocks: Block[]): Passage[] {
  const passages: Passage[] = [];
  let current: { heading: string; parts: string[]; size: number } | undefined;
  const flush = () => {
    if (current?.parts.length) {
      passages.push({
        id: `${id}#${passages.length}`,
        documentId: id,
        heading: current.heading,
        text: current.parts.join('\n'),
      });
    }
    current = undefined;
  };
  for (const block of blocks) {
    const heading = block.heading || title;
    if (current && (current.heading !== heading || current.size + block.text.length > PASSAGE_CHARS)) flush();
    current ??= { heading, parts: [], size: 0 };
    current.parts.push(block.text);
    current.size += block.text.length;
  }
  flush();
  return passages;
}

/** Inline Markdown → plain text: links keep their text, emphasis and code marks go. */
function inline(text: string): string {
  return text
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/(\*\*|__|`)/g, '')
    .replace(/(^|[\s(])[*_]([^*_\n]+)[*_]/g, '$1$2')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Markdown → blocks under headings. Paragraphs, list items and table rows are blocks (a
 * table row keeps its header: "Size: M (38–40) · Bust: 88–95 cm"), so a long section can be
 * cut between them. A hand-written reader: the format's structure is all that matters here.
 */
function markdownBlocks(body: string): { title?: string; blocks: Block[]; url?: string; language?: string } {
  let title: string | undefined;
  let heading = '';
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let tableHeader: string[] | undefined;
  let fence = false;
  const flush = () => {
    if (paragraph.length) blocks.push({ heading, text: inline(paragraph.join(' ')) });
    paragraph = [];
  };
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (/^\s*(```|~~~)/.test(line)) {
      fence = !fence;
      flush();
      continue;
    }
    if (fence) {
      paragraph.push(line);
      continue;
    }
    const h = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      flush();
      tableHeader = undefined;
      const text = inline(h[2] as string);
      if ((h[1] as string).length === 1 && title === undefined) {
        title = text;
        heading = '';
      } else heading = text;
      continue;
    }
    if (/^\s*\|.*\|\s*$/.test(line)) {
      flush();
      const cells = line
        .trim()
        .slice(1, -1)
        .split('|')
        .map((c) => inline(c));
      if (cells.every((c) => /^:?-{2,}:?$/.test(c))) continue;
      if (!tableHeader) tableHeader = cells;
      else {
        const header = tableHeader;
        blocks.push({
          heading,
          text: cells
            .map((c, i) => (header[i] ? `${header[i]}: ${c}` : c))
            .filter((c) => !/:\s*[—-]?$/.test(c))
            .join(' · '),
        });
      }
      continue;
    }
    tableHeader = undefined;
    if (!line.trim()) {
      flush();
      continue;
    }
    const item = /^\s*(?:[-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (item) {
      flush();
      paragraph.push(item[1] as string);
      continue;
    }
    paragraph.push(line.trim());
  }
  flush();
  return { ...(title ? { title } : {}), blocks };
}

const HTML_BLOCKS = new Set(['p', 'li', 'td', 'th', 'dd', 'dt', 'blockquote', 'pre', 'figcaption', 'tr']);
const HTML_SKIPPED = new Set(['script', 'style', 'nav', 'noscript', 'template', 'svg', 'head']);

/** HTML → blocks under headings, with htmlparser2; `<title>`, `<html lang>` and the canonical link as fallbacks. */
function htmlBlocks(body: string): { title?: string; blocks: Block[]; url?: string; language?: string } {
  let title: string | undefined;
  let docTitle: string | undefined;
  let url: string | undefined;
  let language: string | undefined;
  let heading = '';
  const blocks: Block[] = [];
  let text: string[] = [];
  let headingText: string[] | undefined;
  let titleText: string[] | undefined;
  let skipped = 0;
  const flush = () => {
    const t = text.join('').replace(/\s+/g, ' ').trim();
    if (t) blocks.push({ heading, text: t });
    text = [];
  };
  // htmlparser2 loads with the first HTML document, not with every bot.
  const { Parser } = require('htmlparser2') as typeof import('htmlparser2');
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'html' && attrs.lang) language = attrs.lang.slice(0, 2);
        if (name === 'link' && attrs.rel === 'canonical' && attrs.href) url = attrs.href;
        if (name === 'title') titleText = [];
        if (HTML_SKIPPED.has(name)) skipped++;
        if (/^h[1-6]$/.test(name)) {
          flush();
          headingText = [];
        } else if (HTML_BLOCKS.has(name) || name === 'br' || name === 'div' || name === 'section') {
          if (name !== 'br') flush();
          else text.push(' ');
        }
      },
      ontext(data) {
        if (titleText) titleText.push(data);
        if (skipped > 0) return;
        if (headingText) headingText.push(data);
        else text.push(data);
      },
      onclosetag(name) {
        if (name === 'title' && titleText) {
          docTitle = titleText.join('').trim() || undefined;
          titleText = undefined;
        }
        if (HTML_SKIPPED.has(name)) skipped = Math.max(0, skipped - 1);
        if (/^h[1-6]$/.test(name) && headingText) {
          const h = headingText.join('').replace(/\s+/g, ' ').trim();
          headingText = undefined;
          if (name === 'h1' && title === undefined) {
            title = h;
            heading = '';
          } else heading = h;
        } else if (HTML_BLOCKS.has(name)) flush();
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(body);
  parser.end();
  flush();
  const found = title ?? docTitle;
  return {
    ...(found ? { title: found } : {}),
    blocks,
    ...(url ? { url } : {}),
    ...(language ? { language } : {}),
  };
}

/** The document id of a file: its path under the knowledge folder, without extension. */
export function documentId(dir: string, file: string): string {
  return path
    .relative(dir, file)
    .replace(/\\/g, '/')
    .replace(/\.(md|markdown|html?)$/i, '');
}
