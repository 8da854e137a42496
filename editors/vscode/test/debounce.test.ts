// The adaptive debounce: fast typing waits about 1.5 keystroke intervals, within the bounds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AdaptiveDebounce } from "../src/debounce";

describe("AdaptiveDebounce", () => {
  it("starts at the minimum", () => {
    assert.equal(new AdaptiveDebounce(75, 250).keystroke(0), 75);
  });

  it("follows the typing rhythm within its bounds", () => {
    const fast = new AdaptiveDebounce(20, 250);
    let t = 0;
    for (let i = 0; i < 20; i++) fast.keystroke((t += 60));
    assert.equal(fast.delay(), 90); // 1.5 x 60 ms
    const slow = new AdaptiveDebounce(20, 250);
    t = 0;
    for (let i = 0; i < 20; i++) slow.keystroke((t += 400));
    assert.equal(slow.delay(), 250); // capped
    const burst = new AdaptiveDebounce(75, 250);
    t = 0;
    for (let i = 0; i < 20; i++) burst.keystroke((t += 10));
    assert.equal(burst.delay(), 75); // floored
  });

  it("ignores pauses when learning the rhythm", () => {
    const d = new AdaptiveDebounce(20, 250);
    d.keystroke(0);
    d.keystroke(100);
    d.keystroke(5000); // a pause, not a keystroke interval
    assert.equal(d.delay(), 150);
  });
});
