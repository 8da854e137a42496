// Where the cursor comes to rest (a file opened or focused, a click, a jump, a search), the server is
// told (`daima/cursor`) once it has stayed REST_MS, and prefills the prompt of a suggestion there in
// the background, so the first suggestion after the move comes sooner. Typing moves the cursor too, but
// it asks for suggestions itself: a move that comes with a text change is not told. The same rule is in
// editors/neovim/lua/daima/init.lua.

export const REST_MS = 200;
const TYPING_MS = 50; // a selection change this soon after a text change is the typing's own

export interface CursorPlace {
  uri: string;
  line: number;
  character: number; // in the client's position encoding (UTF-16 in VS Code)
}

export class CursorNotes {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastEdit = -Infinity;

  constructor(
    private readonly send: (place: CursorPlace) => void,
    private readonly now: () => number = () => Date.now(),
    private readonly restMs: number = REST_MS,
  ) {}

  /** The document changed (typing, a paste, an undo): the next cursor move is its own. */
  edited(): void {
    this.lastEdit = this.now();
    this.cancel();
  }

  /** The cursor moved to `place`, or an editor became active with its cursor there. */
  moved(place: CursorPlace): void {
    if (this.now() - this.lastEdit < TYPING_MS) {
      return;
    }
    this.cancel();
    const scheduled = this.now();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.lastEdit < scheduled) {
        this.send(place);
      }
    }, this.restMs);
  }

  cancel(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
