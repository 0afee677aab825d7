/**
 * Stop strings over streamed text: the text is let out as it grows, except a tail that could still
 * become a stop string, which is held back until it cannot. Once a stop string appears, the text ends
 * right before it, and the stop string itself is never sent.
 */
export class StopText {
  readonly #stops: readonly string[];
  #sent = 0;
  #final: string | undefined;

  constructor(stops: readonly string[]) {
    this.#stops = stops;
  }

  /** Whether a stop string has ended the text. */
  get stopped(): boolean {
    return this.#final !== undefined;
  }

  /** Takes the whole text generated so far; returns the new part that is safe to send. */
  update(text: string): string {
    if (this.#final !== undefined) return '';
    const from = Math.max(0, this.#sent - this.#longestStop());
    const at = this.#stops
      .map((stop) => text.indexOf(stop, from))
      .filter((index) => index >= 0)
      .reduce((first, index) => Math.min(first, index), Number.POSITIVE_INFINITY);
    if (Number.isFinite(at)) {
      this.#final = text.slice(0, at);
      return this.#release(this.#final.length, text);
    }
    return this.#release(text.length - this.#heldBack(text), text);
  }

  /** The generation ended without a stop string: the rest of `text`, held back or not. */
  finish(text: string): string {
    return this.#final !== undefined ? '' : this.#release(text.length, text);
  }

  /** The text as it ends: cut before the stop string where one appeared. */
  result(text: string): string {
    return this.#final ?? text;
  }

  #release(end: number, text: string): string {
    if (end <= this.#sent) return '';
    const piece = text.slice(this.#sent, end);
    this.#sent = end;
    return piece;
  }

  /** How long a tail of `text` is the start of some stop string (and so not yet safe to send). */
  #heldBack(text: string): number {
    let longest = 0;
    for (const stop of this.#stops) {
      for (let length = Math.min(stop.length - 1, text.length); length > longest; length--) {
        if (text.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }

  #longestStop(): number {
    return this.#stops.reduce((longest, stop) => Math.max(longest, stop.length), 0);
  }
}
