/*
 * The backend's contract, plugins/slipway-backend/src/schema/openapi.yaml,
 * read as it is in the repository and compiled with ajv, for the test fetch
 * double (specFetch.ts). Nothing here is hand-copied from the spec: a route,
 * a parameter or a field that changes there changes what the frontend's
 * tests accept.
 *
 * OpenAPI 3.0 schemas are not quite JSON Schema: `nullable: true` becomes
 * `anyOf [schema, null]` (so it also holds beside `allOf`), and every
 * `$ref: '#/components/...'` points into the spec document added to ajv.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

type Json = Record<string, any>;

/** A parameter of an operation, with its `$ref` resolved. */
export interface SpecParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Json;
}

/** One operation of the spec: a method on a path template. */
export interface SpecOperation {
  operationId: string;
  method: string;
  pathTemplate: string;
  /** `GET /apps/{name}/deployments`. */
  key: string;
  parameters: SpecParameter[];
  requestBody?: { required?: boolean; content: Record<string, Json> };
  /** By status code (or `default`), with `$ref`s resolved. */
  responses: Record<string, { content?: Record<string, Json> }>;
  /**
   * For an operation that answers `text/event-stream`: the schema name of
   * each message's `data:` per `event:` name, as the spec documents the
   * stream (`event: log\ndata: <LogLine JSON>`).
   */
  streamMessages: Record<string, string>;
  matcher: RegExp;
  pathParamNames: string[];
}

const SPEC_ID = 'slipway-openapi';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function specPath(): string {
  // Test-only: the backend package is a devDependency of this one, and its
  // spec is the file the backend builds its router from.
  const backend = path.dirname(
    require.resolve('@slipway/plugin-slipway-backend/package.json'),
  );
  return path.join(backend, 'src', 'schema', 'openapi.yaml');
}

/** OpenAPI 3.0 schema → JSON Schema as ajv reads it. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) {
      out.$ref = `${SPEC_ID}${value}`;
    } else {
      out[key] = toJsonSchema(value);
    }
  }
  return (node as Json).nullable === true
    ? { anyOf: [out, { type: 'null' }] }
    : out;
}

/** `data: <LogLine JSON>` after `event: log`, as the spec's stream descriptions say. */
function streamMessagesOf(
  operation: Json,
  responses: SpecOperation['responses'],
) {
  const texts = [operation.description ?? ''];
  for (const response of Object.values(responses)) {
    const stream = response.content?.['text/event-stream'];
    if (stream) texts.push(stream.schema?.description ?? '');
  }
  const messages: Record<string, string> = {};
  for (const text of texts) {
    for (const match of String(text).matchAll(
      /event: (\w+)`?(?:\\n|,\s*|\s+)`?data: <(\w+) JSON>/g,
    )) {
      messages[match[1]] = match[2];
    }
  }
  return messages;
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map(e => `${e.instancePath || '(root)'} ${e.message}`)
    .join('; ');
}

/** The parsed spec: its operations and validators for its schemas. */
export class OpenApiSpec {
  readonly operations: SpecOperation[];
  readonly #document: Json;
  readonly #ajv: Ajv;
  readonly #validators = new WeakMap<object, ValidateFunction>();

  constructor(document: Json) {
    this.#document = document;
    this.#ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.#ajv);
    this.#ajv.addSchema(
      { $id: SPEC_ID, components: toJsonSchema(document.components ?? {}) },
      SPEC_ID,
    );
    this.operations = this.#readOperations();
    for (const operation of this.operations) {
      const stream = Object.values(operation.responses).some(
        r => r.content?.['text/event-stream'],
      );
      if (stream && Object.keys(operation.streamMessages).length === 0) {
        throw new Error(
          `openapi.yaml: ${operation.key} answers text/event-stream but documents no message ("event: <name>\\ndata: <Schema JSON>"); the test double cannot check what it sends`,
        );
      }
      for (const schema of Object.values(operation.streamMessages)) {
        if (!document.components?.schemas?.[schema]) {
          throw new Error(
            `openapi.yaml: ${operation.key} streams <${schema} JSON>, which is not in components.schemas`,
          );
        }
      }
    }
  }

  /** Resolves a `$ref: '#/...'` object to what it points at. */
  resolve<T = Json>(node: T): T {
    let current: any = node;
    for (let depth = 0; current?.$ref && depth < 10; depth++) {
      const ref: string = current.$ref;
      if (!ref.startsWith('#/')) throw new Error(`Unsupported $ref ${ref}`);
      current = ref
        .slice(2)
        .split('/')
        .reduce((at: any, part) => at?.[part], this.#document);
      if (current === undefined) throw new Error(`Unresolved $ref ${ref}`);
    }
    return current;
  }

  #readOperations(): SpecOperation[] {
    const operations: SpecOperation[] = [];
    for (const [template, item] of Object.entries<Json>(
      this.#document.paths ?? {},
    )) {
      const pathParamNames: string[] = [];
      const pattern = template
        .split(/(\{[^}]+\})/)
        .map(part => {
          const param = /^\{([^}]+)\}$/.exec(part);
          if (param) {
            pathParamNames.push(param[1]);
            return '([^/]+)';
          }
          return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const parameters = [
          ...(item.parameters ?? []),
          ...(operation.parameters ?? []),
        ].map(p => this.resolve<SpecParameter>(p));
        const responses: SpecOperation['responses'] = {};
        for (const [status, response] of Object.entries<Json>(
          operation.responses ?? {},
        )) {
          responses[status] = this.resolve(response);
        }
        operations.push({
          operationId: operation.operationId,
          method: method.toUpperCase(),
          pathTemplate: template,
          key: `${method.toUpperCase()} ${template}`,
          parameters,
          requestBody: operation.requestBody
            ? this.resolve(operation.requestBody)
            : undefined,
          responses,
          streamMessages: streamMessagesOf(operation, responses),
          matcher: new RegExp(`^${pattern}$`),
          pathParamNames,
        });
      }
    }
    return operations;
  }

  /** The operation named by operationId or by `METHOD /path/{template}`. */
  operation(name: string): SpecOperation | undefined {
    return this.operations.find(o => o.operationId === name || o.key === name);
  }

  /**
   * Checks `value` against an OpenAPI schema object of this spec; returns
   * what is wrong, or undefined when it conforms.
   */
  check(schema: Json, value: unknown): string | undefined {
    let validate = this.#validators.get(schema);
    if (!validate) {
      validate = this.#ajv.compile(toJsonSchema(schema) as Json);
      this.#validators.set(schema, validate);
    }
    return validate(value) ? undefined : describeErrors(validate.errors);
  }

  /** {@link OpenApiSpec.check} against `components.schemas[name]`. */
  checkNamed(name: string, value: unknown): string | undefined {
    const schema = this.#document.components?.schemas?.[name];
    if (!schema) return `components.schemas has no ${name}`;
    return this.check(schema, value);
  }
}

let loaded: OpenApiSpec | undefined;

/** The backend's spec, read once per test file. */
export function slipwaySpec(): OpenApiSpec {
  loaded ??= new OpenApiSpec(YAML.parse(fs.readFileSync(specPath(), 'utf8')));
  return loaded;
}
