// What every method of the generated DefaultApiClient (../generated) shares:
// hand-written once here, so the generated file holds only what differs per
// operation (its path, parameters, body and types).

/**
 * A `Response` whose `json()` has the type of the operation's success
 * answer. Nothing checks the body at run time: the type is the spec's word.
 *
 * @public
 */
export type TypedResponse<T> = Omit<Response, 'json'> & {
  json: () => Promise<T>;
};

/**
 * Per-call options of the generated `DefaultApiClient`.
 *
 * @public
 */
export interface RequestOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  signal?: AbortSignal;
}

/**
 * How the generated `DefaultApiClient` finds the backend and sends requests.
 *
 * @public
 */
export interface DefaultApiClientOptions {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  /** Default: the global `fetch`. */
  fetchApi?: { fetch: typeof fetch };
}

/** One request of an operation, as a generated method describes it. */
export interface OperationRequest {
  method: string;
  /** The path with its parameters already encoded. */
  path: string;
  /** In the spec's order; undefined values are left out. */
  query?: Array<[string, unknown]>;
  /** Header parameters; undefined values are left out. */
  headers?: Record<string, unknown>;
  /** Sent as JSON unless undefined. */
  body?: unknown;
}

function queryString(params: Array<[string, unknown]>): string {
  const search = new URLSearchParams();
  for (const [name, value] of params) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      search.append(name, String(item));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Sends one request to the plugin's base URL and resolves with the answer,
 * whatever its status: checking `ok` is the caller's.
 */
export async function sendOperation(
  client: DefaultApiClientOptions & { pluginId: string },
  request: OperationRequest,
  options?: RequestOptions,
): Promise<Response> {
  const baseUrl = await client.discoveryApi.getBaseUrl(client.pluginId);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value !== undefined) headers[name] = String(value);
  }
  if (request.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options?.token) headers.Authorization = `Bearer ${options.token}`;
  const url = `${baseUrl}${request.path}${queryString(request.query ?? [])}`;
  const init: RequestInit = {
    method: request.method,
    headers,
    body: request.body !== undefined ? JSON.stringify(request.body) : undefined,
    signal: options?.signal,
  };
  return client.fetchApi
    ? client.fetchApi.fetch(url, init)
    : globalThis.fetch(url, init);
}
