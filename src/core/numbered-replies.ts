/**
 * "2" means the second button. Channels that cannot show buttons (or not that many)
 * render them as a numbered menu; customers also type numbers where buttons exist. When
 * the bot's last message offered buttons and the customer answers with a number in range,
 * the message reaches middleware as that button's postback (the stored text stays "2").
 *
 * @module
 */
import { offeredButtons, type PostbackContent } from '../model';
import type { MiddlewareFn } from './composer';
import type { Context } from './context';
import { stateSlot } from './state';

/** The number a customer typed for a button of a numbered menu, and their words (the postback replaced them). */
export const numberedReply = stateSlot<{ number: number; text: string }>('numberedReply');

const NUMBER = /^\s*#?(\d{1,2})\s*[.)]?\s*$/;

export const numberedReplies: MiddlewareFn<Context> = async (ctx, next) => {
  const match = ctx.text === undefined ? null : NUMBER.exec(ctx.text);
  if (match) {
    const choice = Number(match[1]);
    const recent = await ctx.store.messages.list(ctx.conversation.id, {
      afterSeq: Math.max(0, ctx.message.seq - 10),
      limit: 10,
    });
    const lastBot = recent
      .filter((m) => m.direction === 'out' && m.seq < ctx.message.seq && m.author !== 'system')
      .at(-1);
    const buttons = lastBot ? offeredButtons(lastBot.content).filter((b) => b.type === 'postback') : [];
    const picked = buttons[choice - 1];
    if (picked && picked.type === 'postback') {
      const postback: PostbackContent = { type: 'postback', payload: picked.payload, title: picked.title };
      ctx.set(numberedReply, { number: choice, text: ctx.text ?? '' });
      (ctx as { message: Context['message'] }).message = { ...ctx.message, content: postback };
    }
  }
  await next();
};
