/** The handoff lifecycle's one table: which status changes exist, and what a turn did. */
import { canMove, handoffLifecycle, transitionOf } from '../../src/handoff/lifecycle';

test('bot → queued → assigned → queued → bot, and nothing else', () => {
  const stages = ['bot', 'queued', 'assigned'] as const;
  const allowed = stages.flatMap((from) =>
    stages.filter((to) => from !== to && canMove(from, to)).map((to) => `${from}→${to}`),
  );
  expect(allowed).toEqual(['bot→queued', 'queued→bot', 'queued→assigned', 'assigned→bot', 'assigned→queued']);
  expect(canMove('bot', 'assigned')).toBe(false);
  expect(canMove('closed', 'bot')).toBe(false);
});

test('each named transition is the patch that makes it', () => {
  expect(handoffLifecycle.queue({ reason: 'asked' })).toEqual({
    status: 'queued',
    handoff: { reason: 'asked' },
  });
  expect(handoffLifecycle.assign()).toEqual({ status: 'assigned' });
  expect(handoffLifecycle.requeue()).toEqual({ status: 'queued' });
  expect(handoffLifecycle.release()).toEqual({ status: 'bot', handoff: null });
});

test('what a turn did: handed off, left the line, or neither', () => {
  expect(transitionOf('bot', 'queued')).toBe('queued');
  expect(transitionOf('assigned', 'queued')).toBe('queued');
  expect(transitionOf('queued', 'bot')).toBe('left_queue');
  expect(transitionOf('queued', 'queued')).toBe('none');
  expect(transitionOf('assigned', 'bot')).toBe('none');
});
