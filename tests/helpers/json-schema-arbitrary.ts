import fc from "fast-check";

/**
 * fast-check arbitraries made from JSON Schema (2020-12, OpenAPI 3.1's dialect, as zod writes
 * it): values a schema accepts, and values that break it in one named way. Used by the spec
 * fuzzer (tests/corpus/spec-fuzz.test.ts) on the request bodies and parameters of the OpenAPI
 * document, which checks this module against Ajv before it sends anything.
 *
 * Supported: local `$ref` (with sibling keywords), `const`, `enum`, `anyOf`/`oneOf`, `allOf`
 * (merged), `type` (one or a list, so `["string", "null"]`), integer and number bounds
 * (`minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`), string `minLength`,
 * `maxLength`, `pattern` (fc.stringMatching) and `format` (email, date-time, uuid), arrays
 * (`items`, `minItems`, `maxItems`) and objects (`properties`, `required`,
 * `additionalProperties`). Lengths are counted in code points, as JSON Schema counts them.
 */

export type JsonSchema = { [keyword: string]: unknown };

/** Returned by a property's arbitrary to leave the property out of the object. */
export const OMIT: unique symbol = Symbol("omit");

/**
 * Per top-level property: wraps the arbitrary the schema gives into the one to use, e.g. to
 * prefer Stripe's test cards over any `pm_…` the pattern allows. For an optional property the
 * schema's arbitrary yields OMIT half of the time, and the hint decides how often it does.
 */
export type PropertyHints = Record<string, (fromSchema: fc.Arbitrary<unknown>) => fc.Arbitrary<unknown>>;

/** A value with one thing wrong with it, named. */
export type Mutated = {
  value: unknown;
  mutation: string;
  /**
   * Whether the schema itself refuses the value. False for what only the server's own rules
   * refuse (a control character in a free-text field, a number the schema leaves unbounded).
   */
  breaksSchema: boolean;
};

/** Characters that no person types into a one-line field; the server must refuse each (docs/API.md "Text fields"). */
export const HOSTILE_CHARACTERS: ReadonlyArray<readonly [name: string, character: string]> = [
  ["NUL", "\u0000"],
  ["SOH", "\u0001"],
  ["ESC", "\u001b"],
  ["DEL", "\u007f"],
  ["NEL (C1)", "\u0085"],
  ["tab", "\t"],
  ["line feed", "\n"],
  ["carriage return", "\r"],
  ["U+2028 line separator", "\u2028"],
  ["U+2029 paragraph separator", "\u2029"],
  ["U+202E right-to-left override", "\u202e"],
  ["U+2066 left-to-right isolate", "\u2066"],
  ["lone high surrogate", "\ud800"],
  ["lone low surrogate", "\udfff"],
  ["non-character U+FFFE", "\ufffe"],
  ["non-character U+FDD0", "\ufdd0"],
  ["non-character U+10FFFF", "\u{10ffff}"],
];

/** Strings unlike what a form sends that are still valid text: stored and answered exactly as sent. */
export const TRICKY_VALID_TEXT: readonly string[] = [
  "'; DROP TABLE payments; --",
  "<script>alert(1)</script>",
  "مرحبا بالعالم",
  "שלום",
  "e\u0301te\u0301",
  "👩‍👩‍👧‍👦 🔑",
  "\u200d\u200b zero-width",
  "${jndi:ldap://x}",
  "%00%2e%2e%2f",
  "null",
  "  padded  ",
];

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** Unbounded strings and arrays are kept short: the fuzzer sends many small requests, not a few big ones. */
const DEFAULT_MAX_STRING = 40;
const DEFAULT_MAX_ITEMS = 4;

type JsonType = "null" | "boolean" | "integer" | "number" | "string" | "array" | "object";

/** Values of every JSON type, for "wrong type" mutations. */
const ANY_TYPE_VALUES: readonly unknown[] = [null, true, false, 0, -1, 1.5, "", "text", "2500", [], [1], {}, { a: 1 }];

export class JsonSchemaArbitraries {
  constructor(private readonly root: JsonSchema) {}

  /** `schema` with its `$ref` chain followed (sibling keywords kept), or `schema` itself. */
  resolve(schema: JsonSchema): JsonSchema {
    let current = schema;
    for (let depth = 0; typeof current.$ref === "string"; depth++) {
      if (depth > 32) throw new Error(`$ref cycle at ${String(current.$ref)}`);
      const { $ref, ...siblings } = current;
      current = { ...this.pointer($ref as string), ...siblings };
    }
    return current;
  }

  /** Values `schema` accepts. `hints` apply to the properties of a top-level object. */
  valid(input: JsonSchema, hints: PropertyHints = {}): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    if ("const" in schema) return fc.constant(schema.const);
    if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
    const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
    if (Array.isArray(branches)) {
      const { anyOf: _anyOf, oneOf: _oneOf, ...rest } = schema;
      return fc.oneof(...branches.map((branch) => this.valid({ ...rest, allOf: [branch] }, hints)));
    }
    if (Array.isArray(schema.allOf)) return this.valid(this.mergeAllOf(schema), hints);
    const types = typesOf(schema);
    if (types.length === 0) return fc.jsonValue({ maxDepth: 2 });
    if (types.length > 1) return fc.oneof(...types.map((type) => this.validOfType(schema, type, hints)));
    return this.validOfType(schema, types[0]!, hints);
  }

  /**
   * Values that break `schema` in one way each: a required property missing, an unknown one,
   * a property of the wrong type, out of range, too long or short, off its pattern or enum,
   * a hostile character in a string, or the whole value of another type.
   */
  invalid(input: JsonSchema, hints: PropertyHints = {}): fc.Arbitrary<Mutated> {
    const schema = this.flatten(input);
    const types = this.typesAllowed(schema);
    const wholeValue = this.wrongTypes(schema, "the whole value");
    if (!types.includes("object") || typeof schema.properties !== "object") {
      return fc.oneof(wholeValue, this.invalidScalar(schema, "the value"));
    }
    const properties = schema.properties as Record<string, JsonSchema>;
    const names = Object.keys(properties);
    const required = (schema.required as string[] | undefined) ?? [];
    const valid = this.validOfType(schema, "object", hints) as fc.Arbitrary<Record<string, unknown>>;
    const options: fc.Arbitrary<Mutated>[] = [
      wholeValue,
      valid.map((value) => ({ value: [value], mutation: "an array holding the object instead of the object", breaksSchema: true })),
    ];
    if (required.length > 0) {
      options.push(
        fc.tuple(valid, fc.constantFrom(...required)).map(([value, name]) => ({
          value: withoutEntry(value, name),
          mutation: `required property ${name} missing`,
          breaksSchema: true,
        })),
      );
    }
    if (schema.additionalProperties === false) {
      const unknownNames = ["extra", "__proto__", "constructor", ...names.map((name) => name.toUpperCase())].filter((name) => !names.includes(name));
      options.push(
        fc.tuple(valid, fc.constantFrom(...unknownNames), fc.jsonValue({ maxDepth: 1 })).map(([value, name, extra]) => ({
          value: withEntry(value, name, extra),
          mutation: `unknown property ${JSON.stringify(name)}`,
          breaksSchema: true,
        })),
      );
    }
    if (names.length > 0) {
      options.push(
        fc.tuple(valid, fc.constantFrom(...names)).chain(([value, name]) =>
          this.invalidScalar(properties[name]!, name).map((mutated) => ({ ...mutated, value: withEntry(value, name, mutated.value) })),
        ),
      );
    }
    return fc.oneof(...options);
  }

  /** The types a (resolved, merged) schema lets through, `integer` standing for itself only. */
  typesAllowed(input: JsonSchema): JsonType[] {
    const schema = this.flatten(input);
    if ("const" in schema) return [jsonTypeOf(schema.const)];
    if (Array.isArray(schema.enum)) return [...new Set((schema.enum as unknown[]).map(jsonTypeOf))];
    const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
    if (Array.isArray(branches)) return [...new Set(branches.flatMap((branch) => this.typesAllowed(branch)))];
    const types = typesOf(schema);
    return types.length === 0 ? ["null", "boolean", "integer", "number", "string", "array", "object"] : types;
  }

  // ------------------------------------------------------------------ valid values, by type

  private validOfType(schema: JsonSchema, type: JsonType, hints: PropertyHints): fc.Arbitrary<unknown> {
    switch (type) {
      case "null":
        return fc.constant(null);
      case "boolean":
        return fc.boolean();
      case "integer": {
        const { min, max } = integerBounds(schema);
        return fc.integer({ min, max });
      }
      case "number":
        return this.validNumber(schema);
      case "string":
        return this.validString(schema);
      case "array":
        return this.validArray(schema);
      case "object":
        return this.validObject(schema, hints);
    }
  }

  private validNumber(schema: JsonSchema): fc.Arbitrary<number> {
    const min = numberOr(schema.minimum, numberOr(schema.exclusiveMinimum, -1e9));
    const max = numberOr(schema.maximum, numberOr(schema.exclusiveMaximum, 1e9));
    const excluded = (value: number) => value === schema.exclusiveMinimum || value === schema.exclusiveMaximum;
    return fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).filter((value) => !excluded(value) && !Object.is(value, -0));
  }

  private validString(schema: JsonSchema): fc.Arbitrary<string> {
    const minLength = numberOr(schema.minLength, 0);
    const maxLength = numberOr(schema.maxLength, Infinity);
    const fits = (text: string) => codePoints(text) >= minLength && codePoints(text) <= maxLength;
    const pattern = typeof schema.pattern === "string" ? new RegExp(schema.pattern, "u") : undefined;
    const matches = (text: string) => pattern === undefined || pattern.test(text);
    const format = formatArbitrary(schema.format);
    if (format) return format.filter((text) => fits(text) && matches(text));
    if (pattern) {
      return fc.stringMatching(pattern, Number.isFinite(maxLength) ? { maxLength } : {}).filter(fits);
    }
    const short = fc.string({ unit: textUnit(), minLength, maxLength: Math.min(maxLength, Math.max(minLength, DEFAULT_MAX_STRING)) });
    // The boundary itself: exactly maxLength characters (ASCII, so that units are code points).
    const longest = Number.isFinite(maxLength) && maxLength > DEFAULT_MAX_STRING ? [fc.string({ unit: "grapheme-ascii", minLength: maxLength, maxLength })] : [];
    const tricky = fc.constantFrom(...TRICKY_VALID_TEXT).filter(fits);
    return fc.oneof({ arbitrary: short, weight: 6 }, { arbitrary: tricky, weight: 2 }, ...longest.map((arbitrary) => ({ arbitrary, weight: 1 })));
  }

  private validArray(schema: JsonSchema): fc.Arbitrary<unknown[]> {
    const minLength = numberOr(schema.minItems, 0);
    const maxLength = Math.max(minLength, Math.min(numberOr(schema.maxItems, DEFAULT_MAX_ITEMS), DEFAULT_MAX_ITEMS));
    const items = typeof schema.items === "object" && schema.items !== null ? this.valid(schema.items as JsonSchema) : fc.jsonValue({ maxDepth: 1 });
    return fc.array(items, { minLength, maxLength });
  }

  private validObject(schema: JsonSchema, hints: PropertyHints): fc.Arbitrary<Record<string, unknown>> {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const fields: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, property] of Object.entries(properties)) {
      const fromSchema = required.has(name) ? this.valid(property) : fc.oneof(fc.constant(OMIT), this.valid(property));
      fields[name] = hints[name] ? hints[name](fromSchema) : fromSchema;
    }
    const additional = schema.additionalProperties;
    const extras =
      typeof additional === "object" && additional !== null
        ? fc.dictionary(
            fc.string({ minLength: 1, maxLength: 8 }).filter((key) => !(key in properties) && key !== "__proto__"),
            this.valid(additional as JsonSchema),
            { maxKeys: 2 },
          )
        : fc.constant({});
    return fc.tuple(fc.record(fields), extras).map(([record, more]) =>
      Object.fromEntries([...Object.entries(more), ...Object.entries(record).filter(([, value]) => value !== OMIT)]),
    );
  }

  // ------------------------------------------------------------------ invalid values

  /** One property's (or a parameter's) value broken one way. */
  invalidScalar(input: JsonSchema, label: string): fc.Arbitrary<Mutated> {
    const schema = this.flatten(input);
    const types = this.typesAllowed(schema);
    const options: fc.Arbitrary<Mutated>[] = [this.wrongTypes(schema, label)];
    if (types.includes("integer") || types.includes("number")) options.push(this.badNumbers(schema, label, types));
    if (types.includes("string")) options.push(this.badStrings(schema, label));
    return fc.oneof(...options);
  }

  private wrongTypes(schema: JsonSchema, label: string): fc.Arbitrary<Mutated> {
    const types = this.typesAllowed(schema);
    const wrong = ANY_TYPE_VALUES.filter((value) => !typeAllows(types, value));
    if (wrong.length === 0) return fc.constant({ value: null, mutation: `${label}: null (any type is allowed)`, breaksSchema: false });
    return fc.constantFrom(...wrong).map((value) => ({
      value,
      mutation: `${label}: ${JSON.stringify(value)} (${jsonTypeOf(value)}) where ${types.join(" or ")} is expected`,
      breaksSchema: true,
    }));
  }

  private badNumbers(schema: JsonSchema, label: string, types: JsonType[]): fc.Arbitrary<Mutated> {
    const cases: Mutated[] = [];
    const add = (value: number, why: string) => cases.push({ value, mutation: `${label}: ${value} (${why})`, breaksSchema: !this.acceptsScalar(schema, value) });
    const { maximum, minimum, exclusiveMinimum, exclusiveMaximum } = schema;
    if (typeof maximum === "number") add(maximum + 1, "above maximum");
    if (typeof minimum === "number") add(minimum - 1, "below minimum");
    if (typeof exclusiveMinimum === "number") add(exclusiveMinimum, "equal to exclusiveMinimum");
    if (typeof exclusiveMaximum === "number") add(exclusiveMaximum, "equal to exclusiveMaximum");
    if (!types.includes("number")) {
      const { min, max } = integerBounds(schema);
      add(Math.max(min, Math.min(max, 100)) + 0.5, "not an integer");
    }
    add(1e21, "huge");
    add(-1e21, "huge negative");
    add(1.7976931348623157e308, "largest double");
    add(MAX_SAFE + 2, "beyond 2^53");
    add(5e-324, "smallest double");
    add(0, "zero");
    add(-1, "negative");
    return fc.constantFrom(...cases);
  }

  private badStrings(schema: JsonSchema, label: string): fc.Arbitrary<Mutated> {
    const stringSchema = { ...schema, type: "string" };
    const options: fc.Arbitrary<Mutated>[] = [];
    const minLength = numberOr(schema.minLength, 0);
    const maxLength = numberOr(schema.maxLength, Infinity);
    const enumValues = Array.isArray(schema.enum) ? (schema.enum as unknown[]).filter((value): value is string => typeof value === "string") : [];
    const pattern = typeof schema.pattern === "string" ? new RegExp(schema.pattern, "u") : undefined;
    const mutated = (value: string, mutation: string): Mutated => ({ value, mutation: `${label}: ${mutation}`, breaksSchema: !this.acceptsScalar(schema, value) });

    if (Number.isFinite(maxLength)) options.push(fc.constant(mutated("x".repeat(maxLength + 1), `${maxLength + 1} characters (maxLength ${maxLength})`)));
    if (minLength > 0) options.push(fc.constant(mutated("x".repeat(minLength - 1), `${minLength - 1} characters (minLength ${minLength})`)));
    if (enumValues.length > 0) {
      options.push(
        fc.constantFrom(...enumValues).chain((value) =>
          fc.constantFrom(mutated(value.toUpperCase(), "upper-cased enum value"), mutated(` ${value}`, "enum value with a leading space"), mutated("", "empty string")),
        ),
      );
    }
    const base = this.validOfType(stringSchema, "string", {}) as fc.Arbitrary<string>;
    if (pattern) options.push(base.map((value) => mutated(`${value}!`, "off its pattern")));
    options.push(
      fc.tuple(base, fc.constantFrom(...HOSTILE_CHARACTERS), fc.nat()).map(([value, [name, character], at]) => {
        const position = at % (value.length + 1);
        return mutated(value.slice(0, position) + character + value.slice(position), `${name} inserted`);
      }),
    );
    options.push(fc.constantFrom(...HOSTILE_CHARACTERS).map(([name, character]) => mutated(character, `only ${name}`)));
    return fc.oneof(...options);
  }

  /**
   * Whether `schema` accepts the scalar `value`: type, const, enum, bounds, lengths, pattern,
   * through `$ref`, `anyOf`, `oneOf` and `allOf`. Not `format`: a mutation of a string with a
   * format but no pattern is taken as accepted.
   */
  acceptsScalar(input: JsonSchema, value: string | number | boolean | null): boolean {
    const schema = this.resolve(input);
    if (Array.isArray(schema.allOf) && !(schema.allOf as JsonSchema[]).every((part) => this.acceptsScalar(part, value))) return false;
    if (Array.isArray(schema.anyOf) && !(schema.anyOf as JsonSchema[]).some((part) => this.acceptsScalar(part, value))) return false;
    if (Array.isArray(schema.oneOf) && (schema.oneOf as JsonSchema[]).filter((part) => this.acceptsScalar(part, value)).length !== 1) return false;
    if ("const" in schema && schema.const !== value) return false;
    if (Array.isArray(schema.enum) && !(schema.enum as unknown[]).includes(value)) return false;
    const types = typesOf(schema);
    if (types.length > 0 && !typeAllows(types, value)) return false;
    if (typeof value === "number") {
      const { maximum, minimum, exclusiveMinimum, exclusiveMaximum } = schema;
      if (typeof maximum === "number" && value > maximum) return false;
      if (typeof minimum === "number" && value < minimum) return false;
      if (typeof exclusiveMaximum === "number" && value >= exclusiveMaximum) return false;
      if (typeof exclusiveMinimum === "number" && value <= exclusiveMinimum) return false;
    }
    if (typeof value === "string") {
      if (typeof schema.minLength === "number" && codePoints(value) < schema.minLength) return false;
      if (typeof schema.maxLength === "number" && codePoints(value) > schema.maxLength) return false;
      if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(value)) return false;
    }
    return true;
  }

  // ------------------------------------------------------------------ schema plumbing

  /** Resolved, with `allOf` merged into one schema. */
  private flatten(input: JsonSchema): JsonSchema {
    const schema = this.resolve(input);
    return Array.isArray(schema.allOf) ? this.mergeAllOf(schema) : schema;
  }

  /** `allOf` as one schema: keywords combined, properties merged (each property an allOf of its parts). */
  private mergeAllOf(schema: JsonSchema): JsonSchema {
    const { allOf, ...rest } = schema;
    const parts = [rest, ...(allOf as JsonSchema[]).map((part) => this.flatten(part))];
    const merged: JsonSchema = {};
    const properties: Record<string, JsonSchema[]> = {};
    const required = new Set<string>();
    for (const part of parts) {
      for (const [keyword, value] of Object.entries(part)) {
        if (keyword === "properties") {
          for (const [name, property] of Object.entries(value as Record<string, JsonSchema>)) (properties[name] ??= []).push(property);
        } else if (keyword === "required") {
          for (const name of value as string[]) required.add(name);
        } else if (keyword === "type" && merged.type !== undefined) {
          merged.type = intersectTypes(merged.type, value);
        } else {
          merged[keyword] = value;
        }
      }
    }
    if (Object.keys(properties).length > 0) {
      merged.properties = Object.fromEntries(Object.entries(properties).map(([name, list]) => [name, list.length === 1 ? list[0]! : { allOf: list }]));
    }
    if (required.size > 0) merged.required = [...required];
    return merged;
  }

  private pointer(ref: string): JsonSchema {
    if (!ref.startsWith("#/")) throw new Error(`only local $refs are supported: ${ref}`);
    const target = ref
      .slice(2)
      .split("/")
      .map((part) => decodeURIComponent(part).replace(/~1/g, "/").replace(/~0/g, "~"))
      .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], this.root);
    if (typeof target !== "object" || target === null) throw new Error(`$ref ${ref} names nothing`);
    return target as JsonSchema;
  }
}

// ------------------------------------------------------------------ helpers

function typesOf(schema: JsonSchema): JsonType[] {
  if (typeof schema.type === "string") return [schema.type as JsonType];
  if (Array.isArray(schema.type)) return schema.type as JsonType[];
  if (typeof schema.properties === "object" || "additionalProperties" in schema || "required" in schema) return ["object"];
  if ("items" in schema || "minItems" in schema || "maxItems" in schema) return ["array"];
  if ("pattern" in schema || "minLength" in schema || "maxLength" in schema || "format" in schema) return ["string"];
  if ("minimum" in schema || "maximum" in schema || "exclusiveMinimum" in schema || "exclusiveMaximum" in schema) return ["number"];
  return [];
}

function intersectTypes(a: unknown, b: unknown): unknown {
  const left = Array.isArray(a) ? (a as string[]) : [a as string];
  const right = Array.isArray(b) ? (b as string[]) : [b as string];
  const both = left.filter((type) => right.includes(type) || (type === "integer" && right.includes("number")));
  const fromRight = right.filter((type) => type === "integer" && left.includes("number"));
  const result = [...new Set([...both, ...fromRight])];
  return result.length === 1 ? result[0] : result;
}

function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as "boolean" | "string" | "object";
}

function typeAllows(types: JsonType[], value: unknown): boolean {
  const type = jsonTypeOf(value);
  return types.includes(type) || (type === "integer" && types.includes("number"));
}

function integerBounds(schema: JsonSchema): { min: number; max: number } {
  const min = typeof schema.minimum === "number" ? Math.ceil(schema.minimum) : typeof schema.exclusiveMinimum === "number" ? Math.floor(schema.exclusiveMinimum) + 1 : -MAX_SAFE;
  const max = typeof schema.maximum === "number" ? Math.floor(schema.maximum) : typeof schema.exclusiveMaximum === "number" ? Math.ceil(schema.exclusiveMaximum) - 1 : MAX_SAFE;
  return { min, max };
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === "number" ? value : fallback;
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** Mostly printable ASCII, sometimes any single-code-point printable character. */
function textUnit(): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }), weight: 5 },
    { arbitrary: fc.string({ unit: "grapheme-composite", minLength: 1, maxLength: 1 }), weight: 1 },
  );
}

function formatArbitrary(format: unknown): fc.Arbitrary<string> | undefined {
  switch (format) {
    case "email":
      return fc.emailAddress();
    case "date-time":
      return fc
        .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true })
        .map((date) => date.toISOString());
    case "uuid":
      return fc.uuid();
    default:
      return undefined;
  }
}

function withEntry(object: Record<string, unknown>, name: string, value: unknown): Record<string, unknown> {
  // fromEntries defines own properties, so "__proto__" becomes a key rather than the prototype.
  return Object.fromEntries([...Object.entries(object).filter(([key]) => key !== name), [name, value]]);
}

function withoutEntry(object: Record<string, unknown>, name: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => key !== name));
}
