/**
 * An attention matrix as SVG: one row per query token, one column per key token, each cell shaded by
 * its weight. Cells above the diagonal are the causal mask (chapter 3): a token never sees later ones.
 */

export interface HeatmapMarkup {
  viewBox: string;
  width: number;
  height: number;
  markup: string;
}

const drawingWidth = 560; // cells of a short prompt grow to about this width, a long one's stay legible
const charWidth = 6.6; // at the 11px label font, for sizing the label margins

/** `weights` is (T, T) row-major: row i holds the weights query i gives to keys 0..T-1. */
export function heatmapMarkup(tokens: readonly string[], weights: ArrayLike<number>): HeatmapMarkup {
  const count = tokens.length;
  if (weights.length !== count * count) {
    throw new RangeError(
      `heatmapMarkup: ${count} tokens need ${count * count} weights, got ${weights.length}`,
    );
  }
  const cell = Math.max(18, Math.min(56, Math.floor(drawingWidth / Math.max(1, count))));
  const labelWidth = Math.min(Math.max(1, ...tokens.map((token) => token.length)), 16) * charWidth;
  const left = Math.ceil(labelWidth) + 10;
  // Column labels are turned 50°: they rise sin(50°) and reach cos(50°) of their length to the right.
  const top = Math.ceil(labelWidth * 0.77) + 12;
  const width = left + count * cell + Math.ceil(labelWidth * 0.65) + 4;
  const height = top + count * cell + 4;
  const parts: string[] = [];
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      const x = left + col * cell;
      const y = top + row * cell;
      if (col > row) {
        parts.push(`<rect class="masked" x="${x}" y="${y}" width="${cell}" height="${cell}"/>`);
        continue;
      }
      const weight = weights[row * count + col] as number;
      const tip = `${label(tokens[row])} → ${label(tokens[col])}: ${weight.toFixed(3)}`;
      parts.push(
        `<rect class="cell" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${shade(weight)}" data-weight="${weight.toFixed(4)}"><title>${escapeXml(tip)}</title></rect>`,
      );
    }
  }
  for (const [i, token] of tokens.entries()) {
    const text = escapeXml(label(token));
    const middle = i * cell + cell / 2;
    parts.push(
      `<text class="row-label" x="${left - 6}" y="${top + middle}" text-anchor="end" dominant-baseline="central">${text}</text>`,
      `<text class="col-label" transform="translate(${left + middle} ${top - 6}) rotate(-50)" dominant-baseline="central">${text}</text>`,
    );
  }
  return { viewBox: `0 0 ${width} ${height}`, width, height, markup: parts.join('') };
}

/** Tokens keep their spaces (SVG text preserves them); a long token is cut to fit the margin. */
function label(token: string | undefined): string {
  const text = token ?? '';
  return text.length > 16 ? `${text.slice(0, 15)}…` : text;
}

/** 0 → near white, 1 → deep blue. */
export function shade(weight: number): string {
  const w = Math.min(1, Math.max(0, weight));
  return `hsl(217 85% ${Math.round(97 - 67 * w)}%)`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
