import type { Clock } from '../../ports/clock.ts';

/** The real time. */
export const systemClock: Clock = { now: () => new Date() };
