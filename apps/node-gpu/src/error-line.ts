/**
 * Every error the CLI prints is one line: a message quoting a user's text (a CSV label, a JSON syntax
 * error's excerpt) may hold line breaks, which are written as `\n` so the line stays whole
 * (a tab does not break a line and stays).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must not reach the terminal raw
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/g;

export function oneLine(message: string): string {
  return message.replace(/\r\n/g, '\n').replace(CONTROL, escapeControl);
}

function escapeControl(character: string): string {
  if (character === '\n') return '\\n';
  if (character === '\r') return '\\r';
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
