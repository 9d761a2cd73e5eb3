import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { openApiDocument } from "@/lib/openapi/document";

/**
 * Checks an answer of the API against its OpenAPI document (GET /api/openapi.json), with a
 * real JSON Schema 2020-12 validator (Ajv): the status is one the operation documents, the
 * Content-Type is the documented one, the body matches the documented schema, and every
 * required header is there and every documented one that is there matches its schema. A
 * method the path does not serve must be the documented refusal: 405 with `Allow` naming
 * exactly the document's methods. Used on every answer of the integration tests
 * (tests/setup-file.ts) and of the spec fuzzer.
 */

type Json = Record<string, unknown>;
type OperationObject = { responses: Record<string, ResponseObject> };
type ResponseObject = { headers?: Record<string, Json>; content?: Record<string, { schema: Json }> };

export type Answer = { status: number; headers: Headers; body: string };

const DOCUMENT_ID = "openapi.json";

export class OpenApiValidator {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly paths: { template: string; pattern: RegExp; operations: Record<string, OperationObject> }[];

  constructor(private readonly document: Json = openApiDocument()) {
    // Not strict: the document's own keywords (openapi, paths, …) are not JSON Schema's.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(this.ajv);
    this.ajv.addSchema(document, DOCUMENT_ID);
    this.paths = Object.entries(document.paths as Record<string, Record<string, OperationObject>>).map(([template, operations]) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g, "[^/]+")}$`),
      operations,
    }));
  }

  /** Whether the document describes this path at all (Auth.js's own routes are not the API's). */
  describes(pathname: string): boolean {
    return this.paths.some((path) => path.pattern.test(pathname));
  }

  /** Every way `answer` departs from the document; empty when it conforms. */
  check(method: string, url: string, answer: Answer): string[] {
    const pathname = new URL(url, "http://localhost").pathname;
    const where = `${method} ${pathname} → ${answer.status}`;
    const path = this.paths.find((candidate) => candidate.pattern.test(pathname));
    if (!path) return [`${where}: the path is not in the OpenAPI document`];
    const served = Object.keys(path.operations).map((name) => name.toUpperCase());
    const verb = method.toUpperCase();
    if (verb === "HEAD" && served.includes("GET")) return [];
    if (!served.includes(verb)) return this.checkRefusedMethod(where, verb, served, answer);

    const operation = path.operations[verb.toLowerCase()]!;
    const response = operation.responses[String(answer.status)];
    if (!response) return [`${where}: status ${answer.status} is not documented (${Object.keys(operation.responses).join(", ")})`];
    const pointer = `#/paths/${escape(path.template)}/${verb.toLowerCase()}/responses/${answer.status}`;
    return [...this.checkHeaders(where, response, answer.headers), ...this.checkBody(where, pointer, response, answer)];
  }

  private checkRefusedMethod(where: string, method: string, served: string[], answer: Answer): string[] {
    const allow = new Set([...served, ...(served.includes("GET") ? ["HEAD"] : []), "OPTIONS"]);
    const actual = new Set((answer.headers.get("allow") ?? "").split(",").map((name) => name.trim()).filter(Boolean));
    const errors: string[] = [];
    if (!sameSet(actual, allow)) errors.push(`${where}: Allow is "${answer.headers.get("allow")}", the document serves ${[...allow].join(", ")}`);
    if (method === "OPTIONS") return answer.status === 204 ? errors : [...errors, `${where}: OPTIONS must answer 204`];
    const code = parseJson(answer.body)?.code;
    // The cross-site rule comes first, for every method (docs/API.md): its 403 has no Allow.
    if (answer.status === 403 && code === "forbidden_origin") return [];
    if (answer.status !== 405) errors.push(`${where}: ${method} is not in the document, so it must be refused with 405`);
    // A HEAD answer has no body to name its code.
    if (method !== "HEAD" && code !== "method_not_allowed") errors.push(`${where}: a refused method's code must be method_not_allowed, not ${String(code)}`);
    return errors;
  }

  private checkHeaders(where: string, response: ResponseObject, headers: Headers): string[] {
    const errors: string[] = [];
    for (const [name, declared] of Object.entries(response.headers ?? {})) {
      const header = this.resolve(declared) as { required?: boolean; schema?: Json };
      const value = headers.get(name);
      if (value === null) {
        if (header.required) errors.push(`${where}: required header ${name} is missing`);
        continue;
      }
      const schema = header.schema ?? {};
      const typed = schema.type === "integer" && /^\d+$/.test(value) ? Number(value) : value;
      const validate = this.ajv.compile(schema);
      if (!validate(typed)) errors.push(`${where}: header ${name}: "${value}" ${this.ajv.errorsText(validate.errors, { dataVar: "header" })}`);
    }
    if (!headers.get("x-request-id")) errors.push(`${where}: X-Request-Id is missing`);
    return errors;
  }

  private checkBody(where: string, pointer: string, response: ResponseObject, answer: Answer): string[] {
    const content = response.content ?? {};
    const contentType = (answer.headers.get("content-type") ?? "").split(";")[0]!.trim();
    const documented = Object.keys(content);
    const media = documented.find((type) => type.split(";")[0]!.trim() === contentType);
    if (!media) return [`${where}: Content-Type "${contentType}" is not the documented ${documented.join(" or ")}`];
    if (!media.endsWith("json")) return [];
    if (content[media]!.schema.type === "string") return []; // a document served as a whole (openapi.json)
    const body = parseJson(answer.body);
    if (body === undefined) return [`${where}: the body is not JSON: ${answer.body.slice(0, 200)}`];
    const validate = this.schemaAt(`${pointer}/content/${escape(media)}/schema`);
    return validate(body) ? [] : [`${where}: the body does not match the document: ${this.ajv.errorsText(validate.errors, { separator: "; ", dataVar: "body" })}`];
  }

  private schemaAt(pointer: string): ValidateFunction {
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}${pointer}` });
      this.compiled.set(pointer, validate);
    }
    return validate;
  }

  private resolve(object: Json): Json {
    const ref = object.$ref;
    if (typeof ref !== "string") return object;
    return ref
      .slice(2)
      .split("/")
      .reduce<unknown>((node, part) => (node as Json)[part.replace(/~1/g, "/").replace(/~0/g, "~")], this.document) as Json;
  }
}

function escape(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function parseJson(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((item) => b.has(item));
}

let shared: OpenApiValidator | undefined;

/** One validator per test file: compiling the document takes a moment. */
export function openApiValidator(): OpenApiValidator {
  return (shared ??= new OpenApiValidator());
}
