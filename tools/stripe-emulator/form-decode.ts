// Stripe's v1 API takes application/x-www-form-urlencoded parameters with bracket nesting, the
// encoding stripe-node produces: `metadata[order]=7`, `expand[0]=latest_charge`, `created[gte]=…`.
//
// Lists are kept as objects keyed by index ("0", "1", …): `metadata[0]=x` is an ordinary metadata
// key, so only the reader of a parameter knows whether it expects a list (see Params.stringList).

export type FormValue = string | FormObject;
export type FormObject = { [key: string]: FormValue };

export class FormDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FormDecodeError";
  }
}

export function decodeForm(encoded: string): FormObject {
  const root: FormObject = {};
  for (const pair of encoded.split("&")) {
    if (pair === "") continue;
    const separator = pair.indexOf("=");
    const rawName = separator === -1 ? pair : pair.slice(0, separator);
    const rawValue = separator === -1 ? "" : pair.slice(separator + 1);
    assign(root, parseName(decodeComponent(rawName)), decodeComponent(rawValue));
  }
  return root;
}

function decodeComponent(component: string): string {
  try {
    return decodeURIComponent(component.replaceAll("+", " "));
  } catch {
    throw new FormDecodeError(`Invalid percent-encoding in request parameters: ${component}`);
  }
}

/** `a[b][]` → ["a", "b", ""]; an empty segment means "append". */
function parseName(name: string): string[] {
  const open = name.indexOf("[");
  if (open <= 0) return [name];
  const segments = [name.slice(0, open)];
  let rest = name.slice(open);
  while (rest !== "") {
    const match = /^\[([^[\]]*)\]/.exec(rest);
    if (!match) throw new FormDecodeError(`Invalid parameter name: ${name}`);
    segments.push(match[1] ?? "");
    rest = rest.slice(match[0].length);
  }
  return segments;
}

function assign(root: FormObject, segments: string[], value: string): void {
  let node = root;
  segments.forEach((rawSegment, index) => {
    const segment = rawSegment === "" ? String(Object.keys(node).length) : rawSegment;
    const isLast = index === segments.length - 1;
    const existing = node[segment];
    if (isLast) {
      if (typeof existing === "object") {
        throw new FormDecodeError(`Parameter ${segments.join(".")} is given both as a value and as an object`);
      }
      node[segment] = value;
      return;
    }
    if (typeof existing === "string") {
      throw new FormDecodeError(`Parameter ${segments.join(".")} is given both as a value and as an object`);
    }
    const child: FormObject = existing ?? {};
    node[segment] = child;
    node = child;
  });
}
