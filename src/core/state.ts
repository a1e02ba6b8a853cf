/**
 * Typed state slots: how modules hand each other values during one message's turn (the desk
 * tells the flows the customer's place in line; the opt-out middleware tells them it handled a
 * keyword). A slot is a typed key; `ctx.set(slot, value)` and `ctx.get(slot)` check the type, and
 * two modules can never collide on a name. `ctx.state` stays for an author's own scratch values.
 *
 * ```ts
 * const lastOrder = stateSlot<string>('lastOrder');
 * bot.use(async (ctx, next) => { ctx.set(lastOrder, 'ORD-10001'); await next(); });
 * bot.on('text', (ctx) => ctx.reply(`About ${ctx.get(lastOrder) ?? 'your order'}…`));
 * ```
 *
 * @module
 */

/** A typed key for one value on a message's context. */
export interface StateSlot<T> {
  /** For logs and debugging only: two slots with one name are still two slots. */
  readonly name: string;
  /** Carries `T` for the type checker; never set. */
  readonly __value?: T;
}

/** A new slot holding values of type `T`. */
export function stateSlot<T>(name: string): StateSlot<T> {
  return Object.freeze({ name }) as StateSlot<T>;
}

/** What reads and writes slots (a {@link Context}, or anything shaped like one in tests). */
export interface HasSlots {
  get<T>(slot: StateSlot<T>): T | undefined;
  set<T>(slot: StateSlot<T>, value: T): void;
}
