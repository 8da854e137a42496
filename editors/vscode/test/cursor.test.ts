// daima/cursor: told once the cursor rests after a move, never for the moves typing makes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CursorNotes, CursorPlace } from "../src/cursor";

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("CursorNotes", () => {
  it("tells the place where the cursor rests, once, for the last of quick moves", async () => {
    const told: CursorPlace[] = [];
    const notes = new CursorNotes((place) => told.push(place), () => Date.now(), 30);
    notes.moved({ uri: "file:///a.py", line: 3, character: 0 });
    notes.moved({ uri: "file:///a.py", line: 40, character: 4 });
    await wait(80);
    assert.deepEqual(told, [{ uri: "file:///a.py", line: 40, character: 4 }]);
  });

  it("does not tell the moves that typing makes", async () => {
    const told: CursorPlace[] = [];
    const notes = new CursorNotes((place) => told.push(place), () => Date.now(), 30);
    notes.edited();
    notes.moved({ uri: "file:///a.py", line: 1, character: 1 }); // the key's own move
    await wait(80);
    assert.deepEqual(told, []);
    notes.moved({ uri: "file:///a.py", line: 9, character: 0 }); // a move of its own, later
    notes.edited(); // ...but the user typed before it rested
    await wait(80);
    assert.deepEqual(told, []);
  });
});
