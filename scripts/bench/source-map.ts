import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * Just enough of the Source Map v3 format to name the module a position of a bundled file
 * came from: the `mappings` VLQ decoder and a lookup. No dependency; index maps (`sections`)
 * are supported because bundlers may emit them.
 */

export type OriginalPosition = {
  /** Absolute path of the original source, when it is a file path. */
  source: string;
  /** 0-based, as in the map. */
  line: number;
  column: number;
  name: string | null;
};

type RawMap = {
  version: number;
  sources?: (string | null)[];
  sourceRoot?: string;
  names?: string[];
  mappings?: string;
  sections?: { offset: { line: number; column: number }; map: RawMap }[];
};

/** [generated column, source index, source line, source column, name index?] */
type Segment = [number, number, number, number, number?];

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...BASE64].map((char, index) => [char, index]));

/** Decodes a `mappings` string into segments per generated line, each line sorted by column. */
export function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let [sourceIndex, sourceLine, sourceColumn, nameIndex] = [0, 0, 0, 0];
  for (const line of mappings.split(";")) {
    const segments: Segment[] = [];
    let column = 0;
    for (const text of line.split(",")) {
      if (text === "") continue;
      const fields = decodeVlq(text);
      column += fields[0] ?? 0;
      if (fields.length < 4) continue; // a position with no source
      sourceIndex += fields[1]!;
      sourceLine += fields[2]!;
      sourceColumn += fields[3]!;
      if (fields.length >= 5) {
        nameIndex += fields[4]!;
        segments.push([column, sourceIndex, sourceLine, sourceColumn, nameIndex]);
      } else {
        segments.push([column, sourceIndex, sourceLine, sourceColumn]);
      }
    }
    segments.sort((a, b) => a[0] - b[0]);
    lines.push(segments);
  }
  return lines;
}

export function decodeVlq(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`invalid base64 VLQ character ${JSON.stringify(char)}`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
    value = 0;
    shift = 0;
  }
  return values;
}

/** A parsed map: looks up the original position of a generated (0-based) line and column. */
export class SourceMap {
  private readonly lines: Segment[][];
  private readonly sources: string[];
  private readonly names: string[];
  private readonly sections: { line: number; column: number; map: SourceMap }[];

  constructor(raw: RawMap, mapDir: string) {
    this.sections = (raw.sections ?? []).map((section) => ({ ...section.offset, map: new SourceMap(section.map, mapDir) }));
    this.lines = raw.mappings ? decodeMappings(raw.mappings) : [];
    this.names = raw.names ?? [];
    this.sources = (raw.sources ?? []).map((source) => resolveSource(source ?? "", raw.sourceRoot ?? "", mapDir));
  }

  lookup(line: number, column: number): OriginalPosition | null {
    if (this.sections.length > 0) {
      const section = this.sections.findLast((s) => s.line < line || (s.line === line && s.column <= column));
      if (!section) return null;
      return section.map.lookup(line - section.line, line === section.line ? column - section.column : column);
    }
    // The last segment at or before the position, on its line or, failing that, an earlier one.
    for (let at = line, col = column; at >= 0 && at > line - 3; at--, col = Infinity) {
      const segments = this.lines[at];
      if (!segments || segments.length === 0) continue;
      let [low, high, found] = [0, segments.length - 1, -1];
      while (low <= high) {
        const middle = (low + high) >> 1;
        if (segments[middle]![0] <= col) {
          found = middle;
          low = middle + 1;
        } else {
          high = middle - 1;
        }
      }
      if (found < 0) continue;
      const [, source, sourceLine, sourceColumn, name] = segments[found]!;
      return { source: this.sources[source] ?? "", line: sourceLine, column: sourceColumn, name: name === undefined ? null : (this.names[name] ?? null) };
    }
    return null;
  }
}

/** The map of a generated file: `<file>.map`, or the one its `sourceMappingURL` comment names; null if none. */
export function loadSourceMap(file: string): SourceMap | null {
  let mapFile = `${file}.map`;
  if (!existsSync(mapFile)) {
    const tail = existsSync(file) ? readFileSync(file, "utf8").slice(-2_000) : "";
    const url = /\/\/[#@] sourceMappingURL=(\S+)\s*$/.exec(tail)?.[1];
    if (!url || url.startsWith("data:")) return null;
    mapFile = path.resolve(path.dirname(file), decodeURIComponent(url));
    if (!existsSync(mapFile)) return null;
  }
  try {
    const raw = JSON.parse(readFileSync(mapFile, "utf8")) as RawMap;
    return new SourceMap(raw, path.dirname(mapFile));
  } catch {
    return null;
  }
}

/**
 * A map's source as a file path: relative ones against the map's folder (and `sourceRoot`);
 * Turbopack's `turbopack:///[project]/…` against the project (the working directory).
 */
function resolveSource(source: string, sourceRoot: string, mapDir: string): string {
  const project = /^turbopack:\/\/\/\[project\]\/(.*)$/.exec(source);
  if (project) return path.resolve(decodeURIComponent(project[1]!));
  if (/^[a-z]+:\/\//i.test(source)) return source.startsWith("file://") ? decodeURIComponent(new URL(source).pathname) : source;
  return path.resolve(mapDir, decodeURIComponent(sourceRoot), decodeURIComponent(source));
}
