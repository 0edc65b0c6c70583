// The background loop behind the outbox relayer and the crew's completion queue: wake() cuts a
// sleep short, and a wake that comes while a round runs is not lost (the next sleep ends at once),
// so work queued during a round goes out without waiting for the idle timer.
import { afterEach, expect, test } from 'vitest';
import { BackgroundLoop } from '../../src/main/services/background-loop';

const loops: BackgroundLoop[] = [];
afterEach(async () => {
  for (const loop of loops.splice(0)) await loop.stop();
});

/** A loop whose rounds are recorded, with an idle sleep far longer than any test waits. */
function recorder(duringRound?: (round: number, loop: BackgroundLoop) => Promise<void>) {
  const rounds: number[] = [];
  const loop: BackgroundLoop = new BackgroundLoop(async () => {
    while (loop.running) {
      rounds.push(performance.now());
      await duringRound?.(rounds.length, loop);
      await loop.sleep(60_000);
    }
  });
  loops.push(loop);
  return { loop, rounds };
}

const until = async (check: () => boolean, ms = 2_000) => {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('wake() ends a sleep under way', async () => {
  const { loop, rounds } = recorder();
  loop.start();
  await until(() => rounds.length === 1);
  await new Promise((r) => setTimeout(r, 20)); // asleep now
  loop.wake();
  await until(() => rounds.length === 2);
});

test('a wake that comes during a round ends the next sleep at once', async () => {
  const { loop, rounds } = recorder(async (round, l) => {
    // New work arrives while the first round is still running (after it looked for work).
    if (round === 1) {
      await new Promise((r) => setTimeout(r, 10));
      l.wake();
    }
  });
  loop.start();
  await until(() => rounds.length === 2, 1_000);
  // ...and only that one: the loop then sleeps as usual.
  await new Promise((r) => setTimeout(r, 50));
  expect(rounds).toHaveLength(2);
});

test('stop() ends a sleep and waits for the round', async () => {
  const { loop, rounds } = recorder();
  loop.start();
  await until(() => rounds.length === 1);
  const started = performance.now();
  await loop.stop();
  expect(performance.now() - started).toBeLessThan(1_000);
  expect(loop.running).toBe(false);
});
