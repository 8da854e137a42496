// Where the tests find the real daima server: $DAIMA_SERVER, else the repository's .venv.
import * as path from "path";

export const REPO = path.resolve(__dirname, "..", "..", "..", "..");
export const DAIMA = process.env.DAIMA_SERVER ?? path.join(REPO, ".venv", "bin", "daima");

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `cond` every 10 ms until it is true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(10);
  }
}
