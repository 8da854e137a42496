// Adaptive debounce (after Tabby): wait a little longer than the user's own keystroke rhythm, so a
// fast typist sends one request when they pause instead of one per key, and a slow one is not kept
// waiting longer than needed. The same rule is in editors/neovim/lua/daima/debounce.lua.

const ALPHA = 0.3; // weight of the newest interval in the moving average
const FACTOR = 1.5; // wait this many average intervals after the last key
const PAUSE_MS = 1000; // a gap this long is a pause, not typing rhythm

export class AdaptiveDebounce {
  private average: number | undefined;
  private last: number | undefined;

  constructor(
    public minMs: number,
    public maxMs: number,
  ) {}

  /** Records a keystroke at `nowMs` and returns the delay to wait before requesting. */
  keystroke(nowMs: number): number {
    if (this.last !== undefined) {
      const interval = nowMs - this.last;
      if (interval < PAUSE_MS) {
        this.average = this.average === undefined ? interval : ALPHA * interval + (1 - ALPHA) * this.average;
      }
    }
    this.last = nowMs;
    return this.delay();
  }

  /** The current delay in milliseconds. */
  delay(): number {
    const max = Math.max(this.minMs, this.maxMs);
    if (this.average === undefined) {
      return this.minMs;
    }
    return Math.floor(Math.min(max, Math.max(this.minMs, this.average * FACTOR)));
  }
}
