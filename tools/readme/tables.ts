/**
 * GitHub-flavoured Markdown (what npm and GitHub render) splits a table row at every `|` that is not
 * escaped, inside code spans too: `` `<|unk|>` `` in a cell makes three cells, and the renderer drops
 * the cells past the header's count without a word. This finds such rows in the Markdown source.
 */

export interface TableProblem {
  /** 1-based line number. */
  line: number;
  message: string;
}

const fence = /^\s*(```|~~~)/;
const delimiterCell = /^\s*:?-+:?\s*$/;

/** The cells of a table line: outer pipes dropped, split at every `|` not preceded by a backslash. */
export function tableCells(line: string): string[] {
  let body = line.trim();
  if (body.startsWith('|')) body = body.slice(1);
  if (body.endsWith('|') && !body.endsWith('\\|')) body = body.slice(0, -1);
  return body.split(/(?<!\\)\|/);
}

function isDelimiterRow(line: string): boolean {
  return line.includes('-') && tableCells(line).every((cell) => delimiterCell.test(cell));
}

export function tableProblems(markdown: string): TableProblem[] {
  const lines = markdown.split('\n');
  const problems: TableProblem[] = [];
  let inFence = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (fence.test(line)) inFence = !inFence;
    if (inFence || !line.includes('|') || !isDelimiterRow(lines[i + 1] ?? '')) continue;
    const columns = tableCells(lines[i + 1] ?? '').length;
    const header = tableCells(line).length;
    if (header !== columns) {
      problems.push({ line: i + 1, message: `header has ${header} cells, its delimiter row ${columns}` });
    }
    let row = i + 2;
    for (; row < lines.length && (lines[row] ?? '').includes('|'); row++) {
      const cells = tableCells(lines[row] ?? '').length;
      if (cells !== columns) {
        problems.push({
          line: row + 1,
          message: `row has ${cells} cells, the header ${columns}: escape a | inside a cell (also in code) as \\|`,
        });
      }
    }
    i = row - 1;
  }
  return problems;
}
