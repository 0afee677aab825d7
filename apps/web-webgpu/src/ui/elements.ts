/** The page's elements, found by the data-testid that tests and users' scripts drive them by. */

export function byTestId<T extends Element>(id: string): T {
  const element = document.querySelector<T>(`[data-testid="${id}"]`);
  if (element == null) throw new Error(`The page has no element with data-testid="${id}"`);
  return element;
}

export function findElements() {
  return {
    backend: byTestId<HTMLElement>('backend'),
    backendNote: byTestId<HTMLElement>('backend-note'),
    backendReason: byTestId<HTMLElement>('backend-reason'),
    switchBackend: byTestId<HTMLAnchorElement>('switch-backend'),
    error: byTestId<HTMLElement>('error'),
    trainingText: byTestId<HTMLTextAreaElement>('training-text'),
    uploadText: byTestId<HTMLInputElement>('upload-text'),
    resetText: byTestId<HTMLButtonElement>('reset-text'),
    textInfo: byTestId<HTMLElement>('text-info'),
    modelSize: byTestId<HTMLSelectElement>('model-size'),
    contextLength: byTestId<HTMLInputElement>('context-length'),
    batchSize: byTestId<HTMLInputElement>('batch-size'),
    lr: byTestId<HTMLInputElement>('lr'),
    steps: byTestId<HTMLInputElement>('steps'),
    evalEvery: byTestId<HTMLInputElement>('eval-every'),
    modelSizeInfo: byTestId<HTMLElement>('model-size-info'),
    train: byTestId<HTMLButtonElement>('train'),
    stop: byTestId<HTMLButtonElement>('stop'),
    resume: byTestId<HTMLButtonElement>('resume'),
    step: byTestId<HTMLElement>('step'),
    trainLoss: byTestId<HTMLElement>('train-loss'),
    valLoss: byTestId<HTMLElement>('val-loss'),
    tokensPerSec: byTestId<HTMLElement>('tokens-per-sec'),
    lossChart: byTestId<HTMLElement>('loss-chart'),
    status: byTestId<HTMLElement>('status'),
    prompt: byTestId<HTMLInputElement>('prompt'),
    temperature: byTestId<HTMLInputElement>('temperature'),
    topK: byTestId<HTMLInputElement>('top-k'),
    maxNewTokens: byTestId<HTMLInputElement>('max-new-tokens'),
    generate: byTestId<HTMLButtonElement>('generate'),
    output: byTestId<HTMLElement>('output'),
    layer: byTestId<HTMLSelectElement>('layer'),
    head: byTestId<HTMLSelectElement>('head'),
    showAttention: byTestId<HTMLButtonElement>('show-attention'),
    attentionInfo: byTestId<HTMLElement>('attention-info'),
    attention: byTestId<SVGSVGElement>('attention'),
    modelInfo: byTestId<HTMLElement>('model-info'),
    loadModel: byTestId<HTMLInputElement>('load-model'),
    saveLayout: byTestId<HTMLSelectElement>('save-layout'),
    saveModel: byTestId<HTMLButtonElement>('save-model'),
    hubModel: byTestId<HTMLInputElement>('hub-model'),
    loadHub: byTestId<HTMLButtonElement>('load-hub'),
    hubProgress: byTestId<HTMLProgressElement>('hub-progress'),
    hubInfo: byTestId<HTMLElement>('hub-info'),
    chatFormat: byTestId<HTMLSelectElement>('chat-format'),
    instructSteps: byTestId<HTMLInputElement>('instruct-steps'),
    instructLr: byTestId<HTMLInputElement>('instruct-lr'),
    instructTrain: byTestId<HTMLButtonElement>('instruct-train'),
    chatLog: byTestId<HTMLElement>('chat-log'),
    chatNote: byTestId<HTMLElement>('chat-note'),
    chatStatus: byTestId<HTMLElement>('chat-status'),
    chatInput: byTestId<HTMLInputElement>('chat-input'),
    chatSend: byTestId<HTMLButtonElement>('chat-send'),
    chatStop: byTestId<HTMLButtonElement>('chat-stop'),
    chatReset: byTestId<HTMLButtonElement>('chat-reset'),
    chatMaxNewTokens: byTestId<HTMLInputElement>('chat-max-new-tokens'),
    chatTemperature: byTestId<HTMLInputElement>('chat-temperature'),
  };
}

export type Elements = ReturnType<typeof findElements>;
