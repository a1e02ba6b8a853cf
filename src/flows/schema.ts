/**
 * JSON Schema of `flows/*.yml`, for the loader and for editors
 * (`# yaml-language-server: $schema=…/flows.schema.json`). Cross-checks that need the whole
 * bot (unknown intents, goto targets, unreachable steps) are the loader's.
 *
 * @module
 */
const name = { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_.-]*$' };
const text = { type: 'string', minLength: 1 };
const gotoTarget = {
  oneOf: [
    name,
    {
      type: 'object',
      required: ['flow'],
      additionalProperties: false,
      properties: { flow: name, step: name },
    },
  ],
};

export const flowsJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://switchboard.dev/schemas/flows.schema.json',
  title: 'Switchboard flows file',
  type: 'object',
  additionalProperties: false,
  properties: {
    flows: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_.-]*$' },
      additionalProperties: { $ref: '#/definitions/flow' },
    },
    messages: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        [
          'rephrase',
          'offer_human',
          'human_declined',
          'handoff',
          'cancelled',
          'nothing_to_cancel',
          'restarted',
          'resume',
          'resume_declined',
          'invalid',
          'action_failed',
          'lost',
          'yes',
          'no',
        ].map((k) => [k, text]),
      ),
    },
  },
  definitions: {
    flow: {
      type: 'object',
      required: ['steps'],
      additionalProperties: false,
      properties: {
        trigger: { oneOf: [name, { type: 'array', items: name, minItems: 1 }] },
        description: text,
        steps: {
          type: 'object',
          minProperties: 1,
          propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_.-]*$' },
          additionalProperties: { $ref: '#/definitions/step' },
        },
      },
    },
    step: {
      type: 'object',
      additionalProperties: false,
      properties: {
        say: { oneOf: [text, { type: 'array', items: text, minItems: 1 }] },
        ask: text,
        slot: name,
        entity: name,
        validate: text,
        invalid: text,
        retries: { type: 'integer', minimum: 0, maximum: 10 },
        give_up: name,
        always: { type: 'boolean' },
        choice: text,
        options: {
          type: 'array',
          minItems: 1,
          items: {
            oneOf: [
              text,
              {
                type: 'object',
                required: ['title'],
                additionalProperties: false,
                properties: { title: text, value: text, intent: name, goto: name },
              },
            ],
          },
        },
        style: { enum: ['buttons', 'quick_replies'] },
        branch: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['if', 'goto'],
            additionalProperties: false,
            properties: { if: text, goto: gotoTarget },
          },
        },
        else: gotoTarget,
        set: { type: 'object', minProperties: 1 },
        call: {
          oneOf: [
            name,
            {
              type: 'object',
              required: ['webhook'],
              additionalProperties: false,
              properties: { webhook: text, method: { enum: ['POST', 'GET'] } },
            },
          ],
        },
        with: { type: 'object' },
        result: name,
        timeout: { type: 'integer', minimum: 1, maximum: 120000 },
        on_error: name,
        goto: gotoTarget,
        handoff: {
          oneOf: [
            { const: true },
            {
              type: 'object',
              additionalProperties: false,
              properties: {
                team: name,
                priority: { enum: ['low', 'normal', 'high', 'urgent'] },
                reason: text,
              },
            },
          ],
        },
        end: { const: true },
        next: name,
      },
    },
  },
} as const;
