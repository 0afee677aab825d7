/**
 * Runs our own WGSL on TF.js's WebGPU backend.
 *
 * TF.js's program template gives each shader one output and wraps it in generated indexing code. Our
 * kernels need several outputs (a gradient for each input, AdamW's three tensors) and full control of
 * the shader, so they are dispatched here directly: on the backend's device, with its buffers, inside
 * its open command encoder and compute pass, so they interleave with TF.js's kernels in one stream and
 * are submitted in the same batches.
 */
import { checkBinding } from '../../backend/binding-guard.js';
import { tf } from '../../tf.js';

interface TensorData {
  resource?: unknown;
}

/** The parts of TF.js's `WebGPUBackend` a dispatch uses (all public at runtime). */
export interface WebGPUBackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: { get(dataId: object): TensorData | undefined };
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  uniformPendingDisposal: GPUBuffer[];
  bufferManager: { acquireBuffer(size: number, usage: number): GPUBuffer };
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  uploadToGPU(dataId: object): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  disposeData(dataId: object): void;
}

export function internals(backend: unknown): WebGPUBackendInternals {
  return backend as WebGPUBackendInternals;
}

/** A shader and the key its compiled pipeline is cached under. */
export interface Shader {
  key: string;
  code(): string;
}

export interface Dispatch {
  /** Bound first, read-only, in order: `@binding(0)`…. */
  inputs: tf.TensorInfo[];
  /** Bound after the inputs, read-write. */
  outputs: tf.TensorInfo[];
  /** The uniform struct's fields, 4 bytes each, bound last. */
  uniforms: Uniform[];
  workgroups: readonly [number, number, number];
}

export type Uniform = { u32: number } | { f32: number };

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function pipelineFor(device: GPUDevice, shader: Shader): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (cache == null) {
    cache = new Map();
    pipelines.set(device, cache);
  }
  let pipeline = cache.get(shader.key);
  if (pipeline == null) {
    const module = device.createShaderModule({ code: shader.code(), label: shader.key });
    pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
      label: shader.key,
    });
    cache.set(shader.key, pipeline);
  }
  return pipeline;
}

function uniformBytes(uniforms: Uniform[]): ArrayBuffer {
  // At least 16 bytes and a multiple of 16: the smallest uniform binding every device accepts.
  const bytes = new ArrayBuffer(Math.max(16, Math.ceil((uniforms.length * 4) / 16) * 16));
  const asU32 = new Uint32Array(bytes);
  const asF32 = new Float32Array(bytes);
  uniforms.forEach((field, i) => {
    if ('u32' in field) asU32[i] = field.u32;
    else asF32[i] = field.f32;
  });
  return bytes;
}

/** The per-binding limit set when the backend was created (the guard's). */
let bindingLimit: () => number = () => Number.POSITIVE_INFINITY;

export function setDispatchBindingLimit(limit: () => number): void {
  bindingLimit = limit;
}

/** New float32 (or int32) outputs on the GPU. */
export function makeOutputs(
  backend: WebGPUBackendInternals,
  shapes: number[][],
  dtype: tf.DataType = 'float32',
): tf.TensorInfo[] {
  return shapes.map((shape) => {
    const info = backend.makeTensorInfo(shape, dtype);
    backend.uploadToGPU(info.dataId);
    return info;
  });
}

/** Records one dispatch into the backend's command stream. */
export function dispatch(backend: WebGPUBackendInternals, shader: Shader, call: Dispatch): void {
  const limit = bindingLimit();
  const storageBuffers = call.inputs.length + call.outputs.length;
  if (storageBuffers > backend.device.limits.maxStorageBuffersPerShaderStage) {
    // WebGPU reports the failed pipeline asynchronously; the dispatch would write nothing.
    throw new Error(
      `${shader.key} binds ${storageBuffers} storage buffers, more than this device's ` +
        `maxStorageBuffersPerShaderStage (${backend.device.limits.maxStorageBuffersPerShaderStage})`,
    );
  }
  for (const tensor of [...call.inputs, ...call.outputs]) {
    checkBinding(tensor.shape, tensor.dtype, limit, shader.key);
    backend.uploadToGPU(tensor.dataId);
  }
  const pipeline = pipelineFor(backend.device, shader);
  const data = uniformBytes(call.uniforms);
  const uniform = backend.bufferManager.acquireBuffer(
    data.byteLength,
    GPUBufferUsage.COPY_DST | GPUBufferUsage.UNIFORM,
  );
  backend.queue.writeBuffer(uniform, 0, data);
  backend.uniformPendingDisposal.push(uniform);
  const tensors = [...call.inputs, ...call.outputs];
  const entries: GPUBindGroupEntry[] = tensors.map((tensor, binding) => ({
    binding,
    resource: { buffer: backend.tensorMap.get(tensor.dataId)?.resource as GPUBuffer },
  }));
  entries.push({ binding: tensors.length, resource: { buffer: uniform } });
  const bindGroup = backend.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  // Buffers a queued command uses are released only after the queue is submitted.
  for (const tensor of tensors) backend.commandQueueOwnedIds.add(tensor.dataId);
  backend.ensureCommandEncoderReady();
  backend.computePassEncoder ??= (backend.commandEncoder as GPUCommandEncoder).beginComputePass();
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  backend.computePassEncoder.dispatchWorkgroups(...call.workgroups);
  backend.dispatchCountInPass++;
  if (backend.dispatchCountInPass >= (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number)) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
}

/**
 * A kernel's usual run: new outputs of `outputShapes` (float32), then one dispatch of `shader` that
 * reads `inputs` and writes them. Returns the outputs.
 */
export function runShader(
  backend: unknown,
  shader: Shader,
  call: Omit<Dispatch, 'outputs'> & { outputShapes: number[][] },
): tf.TensorInfo[] {
  const gpu = internals(backend);
  const outputs = makeOutputs(gpu, call.outputShapes);
  dispatch(gpu, shader, {
    inputs: call.inputs,
    outputs,
    uniforms: call.uniforms,
    workgroups: call.workgroups,
  });
  return outputs;
}

/** Most workgroups a dispatch may have along one dimension (WebGPU's default limit). */
const MAX_WORKGROUPS = 65535;

/**
 * Workgroups for `count` independent items, `perGroup` per workgroup, folded into two dimensions when
 * one is not enough. The shader recovers the item as {@link flatIndexWGSL} does.
 */
export function flatGrid(count: number, perGroup: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(count / perGroup));
  if (groups <= MAX_WORKGROUPS) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS);
  return [Math.ceil(groups / y), y, 1];
}

/** WGSL for the workgroup number of a {@link flatGrid} dispatch. */
export const flatGroupWGSL = 'wid.y * nwg.x + wid.x';

/**
 * WGSL: the opening of the entry point of a {@link flatGrid} dispatch with `group` invocations per
 * workgroup, one item each: it names the item `index` and returns for items from `params.<count>` on.
 * The body and the closing brace follow.
 */
export function flatMainWGSL(group: number, index: string, count: string): string {
  return `@compute @workgroup_size(${group})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let ${index} = (${flatGroupWGSL}) * ${group}u + lid.x;
  if (${index} >= params.${count}) { return; }`;
}

/** WGSL binding declarations: inputs read-only, then outputs, then the uniform struct `Params`. */
export function bindingsWGSL(
  inputs: readonly string[],
  outputs: readonly string[],
  params: readonly string[],
  element = 'f32',
): string {
  const lines = [
    `struct Params { ${params.map((field) => `${field},`).join(' ')} }`,
    ...inputs.map(
      (name, i) =>
        `@group(0) @binding(${i}) var<storage, read> ${name}: array<${name.endsWith('Ids') ? 'i32' : element}>;`,
    ),
    ...outputs.map(
      (name, i) =>
        `@group(0) @binding(${inputs.length + i}) var<storage, read_write> ${name}: array<${element}>;`,
    ),
    `@group(0) @binding(${inputs.length + outputs.length}) var<uniform> params: Params;`,
  ];
  return lines.join('\n');
}
