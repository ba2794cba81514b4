/** Time is injected everywhere so that expiry and 90-day rules are tested by moving the clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to; tests share one with the code under test. */
export class ManualClock implements Clock {
  #at: number;
  constructor(start: Date = new Date()) {
    this.#at = start.getTime();
  }
  now(): Date {
    return new Date(this.#at);
  }
  advance(ms: number): void {
    this.#at += ms;
  }
  set(at: Date): void {
    this.#at = at.getTime();
  }
}

export const epochSeconds = (clock: Clock): number => Math.floor(clock.now().getTime() / 1000);
