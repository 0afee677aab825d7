import { describe, expect, it } from 'vitest';
import { StopText } from './stop-text.js';

/** Feeds `pieces` as a stream would (the whole text so far each time); returns what was let out. */
function stream(stops: string[], pieces: string[]): { sent: string[]; text: string; stopped: boolean } {
  const stopText = new StopText(stops);
  const sent: string[] = [];
  let text = '';
  for (const piece of pieces) {
    text += piece;
    sent.push(stopText.update(text));
    if (stopText.stopped) break;
  }
  if (!stopText.stopped) sent.push(stopText.finish(text));
  return { sent, text: stopText.result(text), stopped: stopText.stopped };
}

describe('StopText', () => {
  it('holds back a tail that may begin a stop string, and cuts the text before it once it appears', () => {
    expect(stream(['\n\n###'], ['Red', '.\n', '\n#', '## Next'])).toEqual({
      sent: ['Red', '.', '', ''],
      text: 'Red.',
      stopped: true,
    });
  });

  it('lets a held-back tail out when it turns out not to be a stop string, or when the text ends', () => {
    expect(stream(['END'], ['the E', 'ND'])).toEqual({ sent: ['the ', ''], text: 'the ', stopped: true });
    expect(stream(['END'], ['the E', 'gg'])).toEqual({
      sent: ['the ', 'Egg', ''],
      text: 'the Egg',
      stopped: false,
    });
    expect(stream(['END'], ['the E'])).toEqual({ sent: ['the ', 'E'], text: 'the E', stopped: false });
  });

  it('stops at the earliest of several stop strings', () => {
    expect(stream(['b', 'cd'], ['acd b'])).toEqual({ sent: ['a'], text: 'a', stopped: true });
  });

  it('passes everything through without stop strings', () => {
    expect(stream([], ['a', 'b'])).toEqual({ sent: ['a', 'b', ''], text: 'ab', stopped: false });
  });
});
