/*
 * A test double of the Slipway backend at the `fetchApi.fetch` boundary,
 * held to the backend's OpenAPI spec: the component tests run the real
 * `SlipwayHttpClient`, and every request it sends and every answer a test
 * hands back is checked against openapi.yaml.
 *
 * - A request must be an operation of the spec: its method and path, its
 *   path and query parameters (no undeclared query parameter, as the
 *   backend's validating router refuses them), its JSON body.
 * - Each test answers the operations it expects with handlers keyed by
 *   operationId or `METHOD /path/{template}`; registering a name the spec
 *   does not have throws at once, and a documented request with no handler
 *   fails the test.
 * - A JSON answer must match the operation's schema for its status; an
 *   event stream must be documented as text/event-stream, and each message's
 *   `data:` must match the schema the spec names for its `event:`.
 *
 * A breach makes that fetch reject with a {@link SpecViolation} and is also
 * kept, and the test fails in afterEach with every breach it caused, so a
 * view that swallows the failed request cannot hide it. A handler that
 * throws makes fetch reject with its error, as a refused connection does.
 */
import { SlipwayHttpClient } from '@slipway/plugin-slipway-common';
import { STATUS_CODES } from 'node:http';
import {
  slipwaySpec,
  type OpenApiSpec,
  type SpecOperation,
} from './openApiSpec';

/** Where the double's client finds the backend. */
export const BASE_URL = 'http://localhost/api/slipway';

/** A request as the double saw it. */
export interface SpecRequest {
  operationId: string;
  method: string;
  /** Path below the base URL, with the query string. */
  path: string;
  pathParams: Record<string, string>;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
}

/** One Server-Sent Events message. */
export interface SseMessage {
  event: string;
  data: unknown;
  id?: string;
}

/** What a handler answers. */
export type SpecReply =
  | { kind: 'json'; status: number; body?: unknown }
  | { kind: 'error'; status: number; name: string; message: string }
  | { kind: 'stream'; initial: SseMessage[] };

/** A JSON answer (no body for a 204). */
export function json(body: unknown, status = 200): SpecReply {
  return { kind: 'json', status, body };
}

/** An error in Backstage's shape, as the backend's error handler sends it. */
export function apiError(
  status: number,
  name: string,
  message: string,
): SpecReply {
  return { kind: 'error', status, name, message };
}

/** A 200 event stream that first sends `initial`, then stays open. */
export function sse(...initial: SseMessage[]): SpecReply {
  return { kind: 'stream', initial };
}

export type SpecHandler = (
  request: SpecRequest,
) => SpecReply | Promise<SpecReply>;

/** A breach of the spec by a request or by a test's answer. */
export class SpecViolation extends Error {
  name = 'SpecViolation';
}

/**
 * An open event stream: the test sends messages, ends it or breaks it as a
 * lost connection does.
 */
export class SseStream {
  readonly body: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #open = true;
  readonly #encoder = new TextEncoder();

  constructor(
    readonly request: SpecRequest,
    private readonly check: (message: SseMessage) => void,
  ) {
    this.body = new ReadableStream<Uint8Array>({
      start: controller => {
        this.#controller = controller;
      },
      cancel: () => {
        this.#open = false;
      },
    });
    request.signal?.addEventListener('abort', () =>
      this.#close(request.signal?.reason),
    );
  }

  /** Whether the client still reads it. */
  get open(): boolean {
    return this.#open;
  }

  /** Sends the messages in one network chunk (one read of the client). */
  send(...messages: SseMessage[]): void {
    if (!this.#open) {
      throw new Error(`${this.request.path}: the stream is closed`);
    }
    messages.forEach(this.check);
    const text = messages
      .map(
        m =>
          `${m.id !== undefined ? `id: ${m.id}\n` : ''}event: ${
            m.event
          }\ndata: ${JSON.stringify(m.data)}\n\n`,
      )
      .join('');
    this.#controller.enqueue(this.#encoder.encode(text));
  }

  /** A comment line, as the backend's heartbeat. */
  heartbeat(): void {
    if (!this.#open) return;
    this.#controller.enqueue(this.#encoder.encode(': heartbeat\n\n'));
  }

  /** The server ends the stream. */
  end(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#controller.close();
  }

  /** The connection breaks off; Node's fetch fails the body read so. */
  break(message = 'terminated'): void {
    this.#close(new TypeError(message));
  }

  #close(reason: unknown) {
    if (!this.#open) return;
    this.#open = false;
    this.#controller.error(reason);
  }
}

function headersOf(init?: RequestInit, request?: Request) {
  const headers: Record<string, string> = {};
  new Headers(request?.headers).forEach((value, key) => {
    headers[key] = value;
  });
  new Headers(init?.headers).forEach((value, key) => {
    headers[key] = value;
  });
  return headers;
}

function coerce(value: string, schema: Record<string, any> = {}): unknown {
  if (
    (schema.type === 'integer' || schema.type === 'number') &&
    /^-?\d+(\.\d+)?$/.test(value)
  ) {
    return Number(value);
  }
  if (schema.type === 'boolean' && (value === 'true' || value === 'false')) {
    return value === 'true';
  }
  return value;
}

function abortError(signal: AbortSignal): unknown {
  return (
    signal.reason ??
    new DOMException('The operation was aborted.', 'AbortError')
  );
}

const doubles = new Set<SpecFetch>();

/**
 * Ends every double made since the last call and throws every breach they
 * saw; runs after each test, so a breach that the view under test caught
 * and showed as an error still fails the test.
 */
export function settleSpecFetches(): void {
  const breaches: string[] = [];
  for (const double of doubles) {
    breaches.push(...double.takeViolations());
    double.closeStreams();
  }
  doubles.clear();
  if (breaches.length > 0) {
    throw new SpecViolation(
      `The test broke the API contract (openapi.yaml):\n- ${breaches.join(
        '\n- ',
      )}`,
    );
  }
}

afterEach(settleSpecFetches);

/** The backend as the spec describes it, answered by the test's handlers. */
export class SpecFetch {
  readonly spec: OpenApiSpec = slipwaySpec();
  /** Every request, in order, valid or not. */
  readonly requests: SpecRequest[] = [];
  /** Every event stream answered, open or closed. */
  readonly streams: SseStream[] = [];
  readonly #handlers = new Map<string, SpecHandler>();
  #violations: string[] = [];

  constructor(handlers: Record<string, SpecHandler> = {}) {
    doubles.add(this);
    for (const [name, handler] of Object.entries(handlers)) {
      this.on(name, handler);
    }
  }

  /** Answers an operation, named by operationId or `METHOD /path`. */
  on(name: string, handler: SpecHandler): this {
    this.#handlers.set(this.#operation(name).operationId, handler);
    return this;
  }

  /** The requests of one operation. */
  calls(name: string): SpecRequest[] {
    const { operationId } = this.#operation(name);
    return this.requests.filter(r => r.operationId === operationId);
  }

  /** The streams of one operation the client still reads. */
  openStreams(name: string): SseStream[] {
    const { operationId } = this.#operation(name);
    return this.streams.filter(
      s => s.open && s.request.operationId === operationId,
    );
  }

  /** The breaches so far, which then no longer fail the test. */
  takeViolations(): string[] {
    const taken = this.#violations;
    this.#violations = [];
    return taken;
  }

  closeStreams(): void {
    for (const stream of this.streams) stream.end();
  }

  /** A real client that talks to this double. */
  client(): SlipwayHttpClient {
    return new SlipwayHttpClient({
      discoveryApi: { getBaseUrl: async () => BASE_URL },
      fetchApi: { fetch: this.fetch },
    });
  }

  #operation(name: string): SpecOperation {
    const operation = this.spec.operation(name);
    if (!operation) {
      throw new SpecViolation(
        `openapi.yaml has no operation ${name}; it has ${this.spec.operations
          .map(o => `${o.operationId} (${o.key})`)
          .join(', ')}`,
      );
    }
    return operation;
  }

  #violation(message: string): SpecViolation {
    this.#violations.push(message);
    return new SpecViolation(message);
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request?.url ?? String(input));
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const signal = init?.signal ?? request?.signal ?? undefined;
    const headers = headersOf(init, request);
    const rawBody = init?.body ?? (request ? await request.text() : undefined);
    const bodyText =
      rawBody === undefined || rawBody === null
        ? undefined
        : await new Response(rawBody as BodyInit).text();
    const described = `${method} ${url.pathname}${url.search}`;
    if (signal?.aborted) throw abortError(signal);

    if (!url.href.startsWith(`${BASE_URL}/`)) {
      throw this.#violation(`${described}: not below ${BASE_URL}`);
    }
    const path = url.pathname.slice(new URL(BASE_URL).pathname.length);
    const { operation, pathParams } = this.#route(method, path, described);
    const query: Record<string, string> = {};
    url.searchParams.forEach((value, key) => {
      query[key] = value;
    });
    const seen: SpecRequest = {
      operationId: operation.operationId,
      method,
      path: `${path}${url.search}`,
      pathParams,
      query,
      headers,
      signal,
    };
    seen.body = this.#checkRequest(operation, seen, bodyText, described);
    this.requests.push(seen);

    const handler = this.#handlers.get(operation.operationId);
    if (!handler) {
      throw this.#violation(
        `${described} (${
          operation.operationId
        }) is in the spec, but this test answers only ${
          [...this.#handlers.keys()].join(', ') || 'nothing'
        }`,
      );
    }
    const reply = await handler(seen);
    return this.#respond(operation, seen, reply, described);
  };

  #route(method: string, path: string, described: string) {
    // A literal segment wins over a template one (/events/stream over
    // /events/{id}), as in the backend's router.
    const candidates = this.spec.operations
      .filter(o => o.matcher.test(path))
      .sort((a, b) => a.pathParamNames.length - b.pathParamNames.length);
    if (candidates.length === 0) {
      throw this.#violation(
        `${described}: openapi.yaml documents no path ${path}`,
      );
    }
    const template = candidates[0].pathTemplate;
    const operation = candidates.find(
      o => o.pathTemplate === template && o.method === method,
    );
    if (!operation) {
      throw this.#violation(
        `${described}: openapi.yaml documents ${template} only for ${candidates
          .filter(o => o.pathTemplate === template)
          .map(o => o.method)
          .join(', ')}`,
      );
    }
    const values = operation.matcher.exec(path)!.slice(1);
    const pathParams: Record<string, string> = {};
    operation.pathParamNames.forEach((name, i) => {
      pathParams[name] = decodeURIComponent(values[i]);
    });
    return { operation, pathParams };
  }

  #checkRequest(
    operation: SpecOperation,
    request: SpecRequest,
    bodyText: string | undefined,
    described: string,
  ): unknown {
    const problems: string[] = [];
    const where = {
      path: request.pathParams,
      query: request.query,
      header: request.headers,
    } as Record<string, Record<string, string>>;
    for (const parameter of operation.parameters) {
      const values = where[parameter.in];
      if (!values) continue;
      const key =
        parameter.in === 'header'
          ? parameter.name.toLowerCase()
          : parameter.name;
      const value = values[key];
      if (value === undefined) {
        if (parameter.required) {
          problems.push(
            `${parameter.in} parameter ${parameter.name} is required`,
          );
        }
        continue;
      }
      const wrong = parameter.schema
        ? this.spec.check(parameter.schema, coerce(value, parameter.schema))
        : undefined;
      if (wrong) {
        problems.push(
          `${parameter.in} parameter ${parameter.name}=${JSON.stringify(
            value,
          )}: ${wrong}`,
        );
      }
    }
    const declared = new Set(
      operation.parameters.filter(p => p.in === 'query').map(p => p.name),
    );
    for (const key of Object.keys(request.query)) {
      if (!declared.has(key)) {
        problems.push(`query parameter ${key} is not documented`);
      }
    }

    let body: unknown = undefined;
    if (bodyText !== undefined && bodyText !== '') {
      const type = (request.headers['content-type'] ?? '').split(';')[0].trim();
      if (type === 'application/json') {
        try {
          body = JSON.parse(bodyText);
        } catch {
          problems.push(`the body is not JSON: ${bodyText.slice(0, 200)}`);
        }
      } else {
        body = bodyText;
      }
      const content = operation.requestBody?.content?.[type];
      if (!operation.requestBody) {
        // The backend ignores it; an empty object is what a client sends
        // for "no options", anything else would be dropped unread.
        if (
          !(body && typeof body === 'object' && Object.keys(body).length === 0)
        ) {
          problems.push(`the operation takes no body, but got ${bodyText}`);
        }
      } else if (!content) {
        problems.push(
          `a ${type || 'untyped'} body is not documented (only ${Object.keys(
            operation.requestBody.content,
          ).join(', ')})`,
        );
      } else if (content.schema) {
        const wrong = this.spec.check(content.schema, body);
        if (wrong) problems.push(`body ${bodyText}: ${wrong}`);
      }
    } else if (operation.requestBody?.required) {
      problems.push('the body is required');
    }

    if (problems.length > 0) {
      this.requests.push(request);
      throw this.#violation(
        `${described} (${
          operation.operationId
        }) breaks the spec: ${problems.join('; ')}`,
      );
    }
    return body;
  }

  #respond(
    operation: SpecOperation,
    request: SpecRequest,
    reply: SpecReply,
    described: string,
  ): Response {
    const status = reply.kind === 'stream' ? 200 : reply.status;
    const documented =
      operation.responses[String(status)] ?? operation.responses.default;
    const answer = `The answer ${status} to ${described} (${operation.operationId})`;
    if (!documented) {
      throw this.#violation(
        `${answer} is not documented; it answers ${Object.keys(
          operation.responses,
        ).join(', ')}`,
      );
    }

    if (reply.kind === 'stream') {
      if (!documented.content?.['text/event-stream']) {
        throw this.#violation(`${answer} is not documented as an event stream`);
      }
      const stream = new SseStream(request, message => {
        const schema = operation.streamMessages[message.event];
        const wrong = schema
          ? this.spec.checkNamed(schema, message.data)
          : `event "${message.event}" is not documented (only ${Object.keys(
              operation.streamMessages,
            ).join(', ')})`;
        if (wrong) {
          throw this.#violation(
            `${operation.operationId} stream message ${JSON.stringify(
              message,
            )}${schema ? ` is not a ${schema}` : ''}: ${wrong}`,
          );
        }
      });
      this.streams.push(stream);
      if (reply.initial.length > 0) stream.send(...reply.initial);
      return new Response(stream.body, {
        status: 200,
        headers: {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
        },
      });
    }

    const body =
      reply.kind === 'error'
        ? {
            error: { name: reply.name, message: reply.message },
            request: { method: request.method, url: request.path },
            response: { statusCode: status },
          }
        : reply.body;
    const schema = documented.content?.['application/json']?.schema;
    if (body === undefined) {
      if (documented.content) {
        throw this.#violation(
          `${answer} has no body, but the spec documents ${Object.keys(
            documented.content,
          ).join(', ')}`,
        );
      }
      return new Response(null, { status, statusText: STATUS_CODES[status] });
    }
    if (!documented.content?.['application/json']) {
      throw this.#violation(`${answer} documents no JSON body`);
    }
    const wrong = schema ? this.spec.check(schema, body) : undefined;
    if (wrong) {
      throw this.#violation(
        `${answer} does not match the spec: ${wrong}; body ${JSON.stringify(
          body,
        ).slice(0, 500)}`,
      );
    }
    return new Response(JSON.stringify(body), {
      status,
      statusText: STATUS_CODES[status],
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
  }
}
