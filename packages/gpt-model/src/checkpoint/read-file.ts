/**
 * A safetensors file read tensor by tensor (Node only): the header first, then each tensor's bytes at
 * its offset. Node reads at most 2 GiB into one buffer and a typed array holds at most 4 GiB, but
 * gpt2-large's weights are 3.2 GB and gpt2-xl's 6.4 GB; no single buffer holds the whole file here.
 */
import type { FileHandle } from 'node:fs/promises';
import {
  decodeSafetensorsTensor,
  readSafetensorsHeader,
  type Safetensors,
  type SafetensorsTensor,
  safetensorsHeaderLength,
} from '@scratchgpt/tensor';

export async function readSafetensorsFile(file: FileHandle, source: string): Promise<Safetensors> {
  const fileBytes = (await file.stat()).size;
  const lengthPrefix = await readAt(file, 0, Math.min(8, fileBytes));
  const headerEnd = 8 + safetensorsHeaderLength(lengthPrefix, fileBytes, source);
  const { dataStart, entries, metadata } = readSafetensorsHeader(
    await readAt(file, 0, headerEnd),
    fileBytes,
    source,
  );
  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of entries) {
    const bytes = await readAt(file, dataStart + entry.begin, entry.end - entry.begin);
    tensors.set(entry.name, decodeSafetensorsTensor(entry, bytes));
  }
  return { tensors, metadata };
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(bytes, done, length - done, position + done);
    if (bytesRead === 0) throw new RangeError(`internal: the file ended at byte ${position + done}`);
    done += bytesRead;
  }
  return bytes;
}
