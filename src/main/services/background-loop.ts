// A loop that runs in the background from start() until stop(), sleeping between its rounds;
// wake() cuts the current sleep short (new work, the chain came back, the vault unlocked), or, when
// it comes during a round, the next sleep: new work that arrives while a round runs (after the round
// looked for it) waits for no timer. The outbox relayer and the crew's completion queue each run one.

export class BackgroundLoop {
  private loop: Promise<void> | null = null;
  private stopped = true;
  private wakeUp: (() => void) | null = null;
  /** A wake() that came while no sleep was under way: the next sleep returns at once. */
  private woken = false;

  /** `body` runs once per start; it loops while `running` and sleeps with `sleep`. */
  constructor(private readonly body: () => Promise<void>) {}

  get running(): boolean {
    return !this.stopped;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.body();
  }

  /** Stops the loop and waits for its round in progress to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop?.catch(() => undefined);
    this.loop = null;
  }

  wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = null;
    if (wake) wake();
    else this.woken = true;
  }

  /** Waits `ms` (not holding the process open), or less if woken or stopped. */
  sleep(ms: number): Promise<void> {
    if (this.stopped || this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.wakeUp = null;
        done();
      }, ms);
      timer.unref?.();
      this.wakeUp = () => {
        clearTimeout(timer);
        done();
      };
    });
  }
}
