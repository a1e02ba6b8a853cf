/**
 * JSON Schema of `flows/*.yml`, for the loader and for editors
 * (`# yaml-language-server: $schema=…/flows.schema.json`). Cross-checks that need the whole
 * bot (unknown intents, goto targets, unreachable steps) are the loader's.
 *
 * @module
 */
import { DEFAULT_MESSAGES } from './types';

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
      description: 'Texts the engine says on its own (repair, re-prompts, handoff); {{ }} templates.',
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(Object.keys(DEFAULT_MESSAGES).map((k) => [k, text])),
    },
    settings: {
      description: 'How dates, times and amounts are read and written (one flows file sets each).',
      type: 'object',
      additionalProperties: false,
      properties: {
        timezone: {
          description: "The bot's IANA time zone, e.g. Europe/Berlin (default: the machine's).",
          ...text,
        },
        locale: {
          description: "Language tag for dates and amounts, e.g. en-GB (default: the intents' language).",
          ...text,
        },
        currency: {
          description: 'ISO 4217 code for money() of a plain number, e.g. EUR.',
          type: 'string',
          pattern: '^[A-Z]{3}$',
        },
      },
    },
  },
  definitions: {
    flow: {
      type: 'object',
      required: ['steps'],
      additionalProperties: false,
      properties: {
        trigger: {
          description: 'The intent(s) that start this flow. A flow without one is reached by goto.',
          oneOf: [name, { type: 'array', items: name, minItems: 1 }],
        },
        description: {
          description: 'How the bot names the flow: "Shall we get back to <description>?"',
          ...text,
        },
        steps: {
          description:
            'Named steps; the first one starts the flow. Each has one kind: say, ask, choice, branch, set, call, goto, handoff, knowledge, end.',
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
        say: {
          description: 'Text(s) to send first. Templates: {{slots.x}}, {{customer.name}}.',
          oneOf: [text, { type: 'array', items: text, minItems: 1 }],
        },
        ask: { description: 'Ask step: the question. Needs `slot` and `entity`.', ...text },
        slot: { description: "The slot the answer (or the chosen option's value) goes into.", ...name },
        entity: {
          description:
            'Entity that fills the slot: a declared or built-in entity, or `text` for the whole message.',
          ...name,
        },
        validate: {
          description: "Expression about `value` that must hold, e.g. matches(value, '^ORD-\\d{5}$').",
          ...text,
        },
        invalid: { description: 'Said when the answer does not fit; the step then waits again.', ...text },
        retries: {
          description: 'Failed answers allowed before `give_up` (default 2).',
          type: 'integer',
          minimum: 0,
          maximum: 10,
        },
        give_up: { description: 'Step after too many failed answers, or `handoff` (the default).', ...name },
        always: { description: 'Ask even when the slot is already filled.', type: 'boolean' },
        choice: { description: 'Choice step: the question shown with the `options` as buttons.', ...text },
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
        style: {
          description: 'buttons (default) or quick_replies.',
          enum: ['buttons', 'quick_replies'],
        },
        branch: {
          description: 'Branch step: the first `if` expression that holds decides the `goto`.',
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['if', 'goto'],
            additionalProperties: false,
            properties: { if: text, goto: gotoTarget },
          },
        },
        else: {
          description: 'Branch: where to go when no `if` holds (default: the step below).',
          ...gotoTarget,
        },
        set: {
          description: 'Set step: slot → value; a value that is one {{expression}} keeps its type.',
          type: 'object',
          minProperties: 1,
        },
        call: {
          description: 'Call step: an action exported from actions/, or { webhook: url }.',
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
        with: { description: 'Call: the arguments (templates allowed).', type: 'object' },
        result: {
          description: 'Call / knowledge: the slot the result goes into (default `result` / `knowledge`).',
          ...name,
        },
        timeout: {
          description: 'Call: milliseconds before giving up (default 10000).',
          type: 'integer',
          minimum: 1,
          maximum: 120000,
        },
        on_error: {
          description:
            'Call: step to go to when the action fails or times out (default: apologise and hand off).',
          ...name,
        },
        goto: {
          description: 'Goto step: a step of this flow, or { flow: name, step?: name }.',
          ...gotoTarget,
        },
        handoff: {
          description:
            'Handoff step: true, or { team, priority, reason } — the conversation goes to a person.',
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
        knowledge: {
          description:
            'Knowledge step: answer from the knowledge/ documents, with the source. A question template, or true for the message that led here. `result` gets { found, title, url, document, confidence }.',
          oneOf: [{ const: true }, text],
        },
        end: {
          description: 'End step: the flow ends (an interrupted flow is offered to resume).',
          const: true,
        },
        next: { description: 'The step after this one (default: the step below).', ...name },
      },
    },
  },
} as const;
