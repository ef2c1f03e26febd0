import type {
  OasisEvent,
  OasisEventInput,
} from '@slipway/plugin-slipway-common';

/**
 * Where the rest of the backend (deploy engine, webhook mapping, polling)
 * writes OASIS events. Implemented by the events store; a published event is
 * durable when the promise resolves and is then delivered to stream
 * subscribers and in-process listeners.
 */
export interface OasisEventSink {
  publish(event: OasisEventInput): Promise<OasisEvent>;
}

/**
 * In-process notification of stored events (e.g. auto-deploy reacts to a
 * completed workflow_run). Returns an unsubscribe function.
 */
export interface OasisEventListeners {
  onEvent(listener: (event: OasisEvent) => void | Promise<void>): () => void;
}
