/** The current time, from a port so that tests can control it. */
export interface Clock {
  /** Now. */
  now(): Date;
}
