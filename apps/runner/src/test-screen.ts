// For tests that type on a terminal and watch what it shows.

/** The text a terminal has shown so far, and waiting for more. */
export class Screen {
  #text = '';
  #waiters: (() => void)[] = [];

  get text(): string {
    return this.#text;
  }

  /** More output arrived. */
  add(bytes: Uint8Array): void {
    this.#text += Buffer.from(bytes).toString('latin1');
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves, with where it ends, once the screen shows `text` after `from` (so text typed earlier does not count). */
  shows(text: string, from = 0): Promise<number> {
    return new Promise((resolve) => {
      const look = () => {
        const at = this.#text.indexOf(text, from);
        if (at >= 0) resolve(at + text.length);
        else this.#waiters.push(look);
      };
      look();
    });
  }
}
