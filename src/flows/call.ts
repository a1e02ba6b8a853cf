/**
 * A `call` step: runs the bot author's action (a TypeScript function) or calls a webhook, with
 * the step's `with:` values, under a timeout. The result is stored in the step's `result:` slot;
 * a failure (an error, a timeout, a non-2xx answer) takes the step's `on_error:` path.
 *
 * @module
 */
import type { Context } from '../core/context';
import type { FlowState } from '../model';
import type { Template } from './template';
import type { Action, ActionInput, FlowDefinition, Step } from './types';

/** What a `call` step needs of the engine: its templates, actions and default timeout. */
export interface CallEngine {
  template(source: string): Template;
  readonly options: { actions?: Record<string, Action>; actionTimeoutMs?: number };
}

export type CallOutcome = { ok: true; result: unknown } | { ok: false };

/** Runs the step's action or webhook; never throws (a failure is logged and reported as such). */
export async function runCall(
  engine: CallEngine,
  ctx: Context,
  flow: FlowDefinition,
  step: Step,
  state: FlowState,
  scope: Record<string, unknown>,
): Promise<CallOutcome> {
  const args: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(step.with ?? {})) {
    args[k] = typeof v === 'string' ? engine.template(v).value(scope) : v;
  }
  const timeoutMs = step.timeout ?? engine.options.actionTimeoutMs ?? 10_000;
  const signal = AbortSignal.timeout(timeoutMs);
  ctx.typing(true);
  try {
    let result: unknown;
    if (typeof step.call === 'string') {
      const action = engine.options.actions?.[step.call];
      if (!action) throw new Error(`no action named '${step.call}' is registered`);
      const input: ActionInput = {
        args,
        slots: structuredClone(state.slots),
        customer: scope.customer as Record<string, unknown>,
        conversationId: ctx.conversation.id,
        signal,
      };
      result = await Promise.race([
        Promise.resolve(action(input)),
        new Promise((_, reject) => {
          signal.addEventListener('abort', () => reject(new Error(`timed out after ${timeoutMs} ms`)), {
            once: true,
          });
        }),
      ]);
    } else if (step.call) {
      const url = engine.template(step.call.webhook).render(scope);
      const method = step.call.method ?? 'POST';
      const res = await fetch(url, {
        method,
        signal,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        ...(method === 'POST'
          ? {
              body: JSON.stringify({
                args,
                slots: state.slots,
                conversationId: ctx.conversation.id,
                flow: { id: flow.id, step: state.step },
              }),
            }
          : {}),
      });
      if (!res.ok) throw new Error(`webhook answered ${res.status}`);
      const body = await res.text();
      try {
        result = body ? JSON.parse(body) : null;
      } catch {
        result = body;
      }
    }
    return { ok: true, result: result === undefined ? null : structuredClone(result) };
  } catch (error) {
    ctx.logger.warn({ err: error, flow: flow.id, step: state.step }, 'flow action failed');
    return { ok: false };
  } finally {
    ctx.typing(false);
  }
}
