/**
 * JSON for files that may be hostile or damaged (checkpoint headers, configs, training states).
 *
 * `JSON.parse` accepts a key twice (the last wins, so a second `__metadata__` silently replaces the
 * first) and nests as deep as memory allows (a 100 MB file of brackets takes seconds and gigabytes,
 * then fails). This parser rejects duplicate keys and nesting deeper than the caller allows, in one
 * pass, before building anything large. Strings are decoded by `JSON.parse` itself, piece by piece.
 */

export class StrictJsonError extends Error {
  override name = 'StrictJsonError';

  constructor(
    readonly problem: string,
    /** Character offset in the text where the problem is. */
    readonly offset: number,
  ) {
    super(`${problem} at character ${offset}`);
  }
}

export interface StrictJsonOptions {
  /** Deepest nesting of objects and arrays allowed (default 64). */
  maxDepth?: number;
}

export function parseStrictJson(text: string, options: StrictJsonOptions = {}): unknown {
  const parser = new Parser(text, options.maxDepth ?? 64);
  const value = parser.value(0);
  parser.skipSpace();
  if (parser.at < text.length) throw new StrictJsonError('unexpected text after the JSON value', parser.at);
  return value;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters are what JSON strings may not hold
const STRING_BODY = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

class Parser {
  at = 0;

  constructor(
    readonly text: string,
    readonly maxDepth: number,
  ) {}

  skipSpace(): void {
    const text = this.text;
    while (this.at < text.length) {
      const c = text.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.at++;
    }
  }

  value(depth: number): unknown {
    this.skipSpace();
    const c = this.text[this.at];
    if (c === '{' || c === '[') {
      if (depth >= this.maxDepth) {
        throw new StrictJsonError(`nested deeper than ${this.maxDepth} levels`, this.at);
      }
      return c === '{' ? this.object(depth + 1) : this.array(depth + 1);
    }
    if (c === '"') return this.string();
    if (this.text.startsWith('true', this.at)) return this.literal(4, true);
    if (this.text.startsWith('false', this.at)) return this.literal(5, false);
    if (this.text.startsWith('null', this.at)) return this.literal(4, null);
    return this.number();
  }

  private literal<T>(length: number, value: T): T {
    this.at += length;
    return value;
  }

  private number(): number {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (match == null) {
      throw new StrictJsonError(
        this.at >= this.text.length
          ? 'unexpected end of JSON'
          : `unexpected character ${JSON.stringify(this.text[this.at])}`,
        this.at,
      );
    }
    this.at += match[0].length;
    return Number(match[0]);
  }

  private string(): string {
    STRING_BODY.lastIndex = this.at + 1;
    const match = STRING_BODY.exec(this.text);
    if (match == null) throw new StrictJsonError('invalid or unterminated string', this.at);
    const literal = this.text.slice(this.at, this.at + 1 + match[0].length);
    this.at += literal.length;
    return JSON.parse(literal) as string;
  }

  private expect(character: string): void {
    this.skipSpace();
    if (this.text[this.at] !== character) {
      const found = this.at >= this.text.length ? 'the end' : JSON.stringify(this.text[this.at]);
      throw new StrictJsonError(`expected '${character}' but found ${found}`, this.at);
    }
    this.at++;
  }

  private object(depth: number): Record<string, unknown> {
    this.at++; // {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.skipSpace();
    if (this.text[this.at] === '}') {
      this.at++;
      return out;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] !== '"') throw new StrictJsonError('expected a quoted key', this.at);
      const keyAt = this.at;
      const key = this.string();
      if (seen.has(key))
        throw new StrictJsonError(`duplicate key ${JSON.stringify(key).slice(0, 80)}`, keyAt);
      seen.add(key);
      this.expect(':');
      // defineProperty: a key named "__proto__" must be data, as JSON.parse makes it.
      Object.defineProperty(out, key, {
        value: this.value(depth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipSpace();
      if (this.text[this.at] === ',') {
        this.at++;
        continue;
      }
      this.expect('}');
      return out;
    }
  }

  private array(depth: number): unknown[] {
    this.at++; // [
    const out: unknown[] = [];
    this.skipSpace();
    if (this.text[this.at] === ']') {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.skipSpace();
      if (this.text[this.at] === ',') {
        this.at++;
        continue;
      }
      this.expect(']');
      return out;
    }
  }
}

/**
 * A value as short JSON for an error message, at most `max` characters: it stops writing once it has
 * enough, so a huge or deeply nested value never makes a huge (or stack-overflowing) message.
 */
export function jsonPreview(value: unknown, max = 60): string {
  const out: string[] = [];
  let length = 0;
  const write = (text: string): boolean => {
    out.push(text);
    length += text.length;
    return length <= max;
  };
  const walk = (item: unknown, depth: number): boolean => {
    if (depth > 8) return write('…');
    if (Array.isArray(item)) {
      if (!write('[')) return false;
      for (const [i, element] of item.entries()) {
        if ((i > 0 && !write(',')) || !walk(element, depth + 1)) return false;
      }
      return write(']');
    }
    if (item !== null && typeof item === 'object') {
      if (!write('{')) return false;
      for (const [i, [key, element]] of Object.entries(item).entries()) {
        if ((i > 0 && !write(',')) || !write(`${JSON.stringify(key)}:`) || !walk(element, depth + 1))
          return false;
      }
      return write('}');
    }
    return write(typeof item === 'string' ? JSON.stringify(item.slice(0, max)) : String(item));
  };
  walk(value, 0);
  const text = out.join('');
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
