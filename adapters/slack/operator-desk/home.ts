/**
 * The desk's App Home: each operator's own conversations and who is waiting in their teams,
 * published when they open it and kept current while the queue changes.
 *
 * @module
 */
import type { webApi } from '@slack/bolt';
import type { QueueEntry } from '../../../src/handoff';
import { renderHome } from './blocks';
import { customerName, type DeskCore } from '../../../src/desk/core';

export class AppHome {
  /** The users this process has shown the App Home to. */
  private readonly viewers = new Set<string>();
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly desk: DeskCore) {}

  /** `app_home_opened`: shows it, and keeps it current from now on. */
  async opened(userId: string, client: webApi.WebClient): Promise<void> {
    this.viewers.add(userId);
    await this.publish(userId, client);
  }

  async publish(userId: string, client: webApi.WebClient): Promise<void> {
    const desk = this.desk;
    const operator = await desk.queue.operator(userId);
    const describe = async (entry: QueueEntry) => {
      const [conversation, thread] = await Promise.all([
        desk.store.conversations.get(entry.conversationId),
        desk.outbox.currentThread(entry.conversationId),
      ]);
      return {
        entry,
        reason: entry.reason,
        customer: conversation ? await customerName(desk, conversation) : 'customer',
        channel: thread?.channel ?? null,
      };
    };
    const mine = operator ? await Promise.all((await desk.queue.listClaimed(userId)).map(describe)) : [];
    const teams = operator?.teams ?? Object.keys(desk.config.teams);
    const waiting = (await Promise.all(teams.map((t) => desk.queue.listWaiting(t, 20)))).flat();
    const blocks = renderHome({
      operator,
      mine,
      waiting: await Promise.all(waiting.map(describe)),
      now: desk.clock(),
    });
    try {
      await client.views.publish({ user_id: userId, view: { type: 'home', blocks } as never });
    } catch (error) {
      desk.bot.logger.warn({ err: error }, 'desk: could not publish the App Home');
    }
  }

  /**
   * The App Homes this process has shown are refreshed when the queue changes (at most every
   * half second). Best effort: another process's viewers refresh on their next open.
   */
  refresh(): void {
    const client = this.desk.slackClient;
    if (!client || this.viewers.size === 0 || this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      // Stopped meanwhile.
      if (!this.desk.enabled) return;
      for (const user of this.viewers) void this.publish(user, client);
    }, 500);
    this.refreshTimer.unref();
  }

  /** Cancels a pending refresh (the desk is stopping). */
  stop(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }
}
