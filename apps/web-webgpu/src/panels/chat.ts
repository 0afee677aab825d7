/**
 * The Instruction tuning and chat card: tunes the current model on the book's instruction data, then
 * streams its answers to the messages typed, with Stop and a new conversation. With `?server=URL` in
 * the page's address the answers come from that server instead of the model in this tab.
 */
import type { ChatModelChoice, InstructSettings, MessageOf } from '../protocol.js';
import { createConversation } from '../ui/chat-log.js';
import { byTestId } from '../ui/elements.js';
import { readInteger, readNumber } from '../ui/form.js';
import { connectServerChat } from './chat-server.js';
import { hasIdleModel, isIdle, type PanelDeps } from './tasks.js';

export interface ChatPanelDeps extends PanelDeps {
  /** The Data and model card's batch size and evaluation interval, checked: tuning uses them. */
  batchSize(): number;
  evalEvery(): number;
  /** Clears the Train card's stats, where tuning shows its steps. */
  resetStats(): void;
  /** Which model answers: the GPT above, or the open model loaded in this card (and its thinking switch). */
  answerWith(): { model: ChatModelChoice; thinking: boolean };
}

/** The status line once an answer ended, by how it ended. */
const answeredText: Record<MessageOf<'chat-answer'>['ended'], string> = {
  'end-of-text': 'Answered (the model ended its answer).',
  stopped: 'Stopped the answer.',
  'token-limit': 'Answered (cut at the answer-token limit).',
};

/** `server`: the server the page's address names, or undefined to answer with the model in this tab. */
export function createChatPanel(deps: ChatPanelDeps, server: URL | undefined) {
  const ui = {
    chatFormat: byTestId<HTMLSelectElement>('chat-format'),
    instructSteps: byTestId<HTMLInputElement>('instruct-steps'),
    instructLr: byTestId<HTMLInputElement>('instruct-lr'),
    instructTrain: byTestId<HTMLButtonElement>('instruct-train'),
    chatLog: byTestId<HTMLElement>('chat-log'),
    chatNote: byTestId<HTMLElement>('chat-note'),
    chatInput: byTestId<HTMLInputElement>('chat-input'),
    chatSend: byTestId<HTMLButtonElement>('chat-send'),
    chatStop: byTestId<HTMLButtonElement>('chat-stop'),
    chatReset: byTestId<HTMLButtonElement>('chat-reset'),
    chatMaxNewTokens: byTestId<HTMLInputElement>('chat-max-new-tokens'),
    chatTemperature: byTestId<HTMLInputElement>('chat-temperature'),
  };
  const conversation = createConversation(ui.chatLog);
  const fromServer =
    server &&
    connectServerChat(server, {
      conversation,
      setStatus: (text) => deps.setStatus(text, 'chat'),
      showFailure: (text) => deps.showFailure('chat', text),
      changed: () => refresh(),
    });

  const format = () => (ui.chatFormat.value === 'phi3' ? ('phi3' as const) : ('alpaca' as const));

  function readInstructSettings(): InstructSettings {
    return {
      format: format(),
      batchSize: deps.batchSize(),
      lr: readNumber(ui.instructLr, 'Tuning rate', (v) => v > 0 && v < 1, 'a number between 0 and 1'),
      steps: readInteger(ui.instructSteps, 'Tuning steps', 1),
      evalEvery: deps.evalEvery(),
      seed: 123,
    };
  }

  function sendChat(): void {
    const message = ui.chatInput.value.trim();
    if (message === '') throw new Error('The message is empty: type an instruction first');
    const maxNewTokens = readInteger(ui.chatMaxNewTokens, 'Answer tokens', 1, 1024);
    const temperature = readNumber(ui.chatTemperature, 'Temperature', (v) => v >= 0, 'a number ≥ 0');
    ui.chatInput.value = '';
    ui.chatNote.textContent = '';
    conversation.ask(message);
    deps.setStatus('Answering…', 'chat');
    if (fromServer) {
      void fromServer.answer({ maxTokens: maxNewTokens, temperature }).then((ended) => {
        if (ended) deps.setStatus(answeredText[ended], 'chat');
      });
      return;
    }
    deps.start({ type: 'chat', message, ...deps.answerWith(), format: format(), maxNewTokens, temperature });
  }

  ui.instructTrain.addEventListener(
    'click',
    deps.guarded(() => {
      const settings = readInstructSettings();
      deps.resetStats();
      deps.setStatus('Preparing the instruction data…', 'instruct');
      deps.start({ type: 'instruct', settings });
    }),
  );
  ui.chatSend.addEventListener('click', deps.guarded(sendChat));
  // The choice of model enables Send where that model exists.
  byTestId<HTMLSelectElement>('chat-model').addEventListener('change', () => refresh());
  ui.chatInput.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !ui.chatSend.disabled) deps.guarded(sendChat)();
  });
  ui.chatStop.addEventListener('click', () => {
    if (fromServer) fromServer.stop();
    else deps.stop();
    ui.chatStop.disabled = true;
    deps.setStatus('Stopping the answer…');
  });
  ui.chatReset.addEventListener(
    'click',
    deps.guarded(() => {
      conversation.clear();
      ui.chatNote.textContent = '';
      // The in-tab model keeps its own copy of the conversation, to fit it in the context.
      if (!fromServer) deps.start({ type: 'chat-reset' });
    }),
  );

  function handle(message: MessageOf<'chat-token' | 'chat-answer' | 'error'>): void {
    switch (message.type) {
      case 'chat-token':
        conversation.grow(message.text);
        ui.chatNote.textContent = message.note ?? '';
        return;
      case 'chat-answer':
        conversation.finish(message.text, message.ended);
        deps.setStatus(answeredText[message.ended]);
        return;
      case 'error':
        if (message.task === 'chat') conversation.fail();
        return;
    }
  }

  function refresh(): void {
    const { state } = deps;
    ui.instructTrain.disabled = !hasIdleModel(state);
    if (fromServer) {
      ui.chatSend.disabled = !fromServer.canSend();
      ui.chatReset.disabled = fromServer.isAnswering();
      ui.chatStop.disabled = !fromServer.isAnswering();
      return;
    }
    const answerer = deps.answerWith().model === 'open' ? state.openModel : state.model;
    ui.chatSend.disabled = !isIdle(state) || answerer == null;
    ui.chatReset.disabled = !isIdle(state) || (state.model == null && state.openModel == null);
    ui.chatStop.disabled = state.busy !== 'chat';
  }

  void fromServer?.loadModels();

  return {
    handle,
    /** The prompt format chosen: preference tuning uses it too. */
    format,
    refresh,
  };
}
