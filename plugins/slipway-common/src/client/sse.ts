/**
 * One message of a `text/event-stream` response.
 *
 * @public
 */
export interface ServerSentEvent {
  /** The `id:` field, when the message carried one. */
  id?: string;
  /** The `event:` field; `message` when absent, as browsers do. */
  event: string;
  /** The `data:` lines joined with newlines. */
  data: string;
  /** The `retry:` field in milliseconds, when present. */
  retry?: number;
}

/**
 * Incremental parser for the Server-Sent Events wire format (WHATWG HTML,
 * "Parsing an event stream"). Feed it text as it arrives; it calls `onEvent`
 * once per complete message. Comment lines (heartbeats) are skipped.
 *
 * @public
 */
export class ServerSentEventParser {
  #buffer = '';
  #data: string[] = [];
  #event = '';
  #id: string | undefined;
  #retry: number | undefined;
  #sawField = false;

  constructor(private readonly onEvent: (event: ServerSentEvent) => void) {}

  /** Parses a chunk of text; incomplete trailing lines wait for more. */
  push(chunk: string): void {
    this.#buffer += chunk;
    let start = 0;
    for (;;) {
      const lf = this.#buffer.indexOf('\n', start);
      const cr = this.#buffer.indexOf('\r', start);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        // A lone CR at the very end may be the first half of CRLF.
        if (cr === this.#buffer.length - 1) break;
        end = cr;
        next = this.#buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      this.#line(this.#buffer.slice(start, end));
      start = next;
    }
    this.#buffer = this.#buffer.slice(start);
  }

  #line(line: string) {
    if (line === '') {
      this.#dispatch();
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.#data.push(value);
        this.#sawField = true;
        break;
      case 'event':
        this.#event = value;
        this.#sawField = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.#id = value;
        this.#sawField = true;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.#retry = Number(value);
        break;
      default:
        break;
    }
  }

  #dispatch() {
    if (this.#sawField && this.#data.length > 0) {
      this.onEvent({
        id: this.#id,
        event: this.#event || 'message',
        data: this.#data.join('\n'),
        retry: this.#retry,
      });
    }
    this.#data = [];
    this.#event = '';
    this.#id = undefined;
    this.#sawField = false;
  }
}

/**
 * Reads a `text/event-stream` body to its end, calling `onEvent` per message.
 * Resolves when the server closes the stream; rejects when the read fails or
 * the signal aborts.
 *
 * @public
 */
export async function readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: ServerSentEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new ServerSentEventParser(onEvent);
  const onAbort = () => {
    reader.cancel().catch(() => {});
  };
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal?.aborted) {
        throw signal.reason ?? new Error('aborted');
      }
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push(decoder.decode());
  } finally {
    signal?.removeEventListener('abort', onAbort);
    try {
      reader.releaseLock();
    } catch {
      // A read still pending after cancel keeps the lock; nothing to free.
    }
  }
}
