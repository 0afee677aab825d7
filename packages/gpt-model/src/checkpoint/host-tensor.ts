import type { HostTensor } from '@scratchgpt/tensor';

export type { HostTensor };

/** (rows, cols) → (cols, rows) */
export function transpose2d(tensor: HostTensor): HostTensor {
  const [rows, cols] = tensor.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = tensor.data[r * cols + c] as number;
  }
  return { shape: [cols, rows], data: out };
}

/** Side by side along the last axis of 2-d tensors with the same rows, or end to end for 1-d ones. */
export function concatLastAxis(tensors: HostTensor[]): HostTensor {
  if (tensors[0]?.shape.length === 1) {
    const data = new Float32Array(tensors.reduce((n, t) => n + t.data.length, 0));
    let offset = 0;
    for (const t of tensors) {
      data.set(t.data, offset);
      offset += t.data.length;
    }
    return { shape: [data.length], data };
  }
  const rows = tensors[0]?.shape[0] as number;
  const widths = tensors.map((t) => t.shape[1] as number);
  const total = widths.reduce((a, b) => a + b, 0);
  const data = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let column = 0;
    tensors.forEach((t, i) => {
      const width = widths[i] as number;
      data.set(t.data.subarray(r * width, (r + 1) * width), r * total + column);
      column += width;
    });
  }
  return { shape: [rows, total], data };
}

/** The inverse of {@link concatLastAxis} into equal parts. */
export function splitLastAxis(tensor: HostTensor, parts: number): HostTensor[] {
  if (tensor.shape.length === 1) {
    const width = (tensor.shape[0] as number) / parts;
    return Array.from({ length: parts }, (_, i) => ({
      shape: [width],
      data: tensor.data.slice(i * width, (i + 1) * width),
    }));
  }
  const [rows, cols] = tensor.shape as [number, number];
  const width = cols / parts;
  return Array.from({ length: parts }, (_, i) => {
    const data = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++)
      data.set(tensor.data.subarray(r * cols + i * width, r * cols + (i + 1) * width), r * width);
    return { shape: [rows, width], data };
  });
}
