/**
 * JSON Schema (draft-07) of an intents file, `intents/*.yml`. The loader validates every file
 * against it; `intents.schema.json` is the same document for editors (a test keeps them equal),
 * e.g. `# yaml-language-server: $schema=../node_modules/switchboard/src/nlu/intents.schema.json`.
 */
export const intentsJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://switchboard.dev/schemas/intents.schema.json',
  title: 'Switchboard intents file',
  description: 'Intents (with example utterances and optional direct answers) and the entities they use.',
  type: 'object',
  additionalProperties: false,
  anyOf: [{ required: ['intents'] }, { required: ['out_of_scope'] }],
  properties: {
    language: {
      description: 'ISO 639-1 code of the examples, e.g. "en". Every file of a bot must agree. Default "en".',
      type: 'string',
      pattern: '^[a-z]{2}(-[A-Za-z]{2})?$',
    },
    entities: {
      description:
        'Entities by name. Built-ins (number, email, phone, url, datetime, money) need no declaration.',
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_.-]*$' },
      additionalProperties: { $ref: '#/definitions/entity' },
    },
    intents: {
      description: 'Intents by name.',
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_.-]*$' },
      additionalProperties: { $ref: '#/definitions/intent' },
    },
    out_of_scope: {
      description:
        'Things the bot must NOT answer (off-topic questions), trained as a negative class: a message closer to these than to any intent gets no intent. Merged across files; may be empty.',
      type: 'array',
      items: { type: 'string', minLength: 1 },
    },
  },
  definitions: {
    intent: {
      type: 'object',
      additionalProperties: false,
      required: ['examples'],
      properties: {
        examples: {
          description: 'Things a customer might say. 5–20 varied examples per intent work well.',
          type: 'array',
          minItems: 1,
          items: { type: 'string', minLength: 1 },
        },
        answers: {
          description: 'Direct answers for FAQ intents; the bot picks one.',
          type: 'array',
          items: { type: 'string', minLength: 1 },
        },
        entities: {
          description: 'Names of the entities this intent uses (declared ones or built-ins).',
          type: 'array',
          items: { type: 'string' },
          uniqueItems: true,
        },
      },
    },
    entity: {
      description:
        'Exactly one of `builtin` (a built-in under another name), `list` (values with synonyms) or `regex`.',
      type: 'object',
      additionalProperties: false,
      properties: {
        builtin: {
          description: 'A built-in under another name, e.g. `delivery_date: { builtin: datetime }`.',
          enum: ['number', 'email', 'phone', 'url', 'datetime', 'money'],
        },
        list: {
          description: 'Values, or values with synonyms: `{ shoes: [sneakers, trainers], bag: [handbag] }`.',
          oneOf: [
            { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
            {
              type: 'object',
              minProperties: 1,
              additionalProperties: { type: ['array', 'null'], items: { type: 'string', minLength: 1 } },
            },
          ],
        },
        fuzzy: { type: 'boolean', description: 'List only: tolerate typos (default true).' },
        regex: { type: 'string', minLength: 1, description: "JavaScript syntax, e.g. 'ORD-?\\d{5}'." },
        caseSensitive: { type: 'boolean', description: 'Regex only (default false).' },
      },
      oneOf: [{ required: ['builtin'] }, { required: ['list'] }, { required: ['regex'] }],
      dependencies: { fuzzy: ['list'], caseSensitive: ['regex'] },
    },
  },
} as const;
