import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
// CommonJS without named exports Node can detect: the default import is the module object.
import nextEnv from "@next/env";

/** What `npm run dev` writes: the settings it generated for this checkout's dev stack. */
export const DEV_ENV_FILE = ".env.development.local";
/** The first line of that file; a file without it is the developer's own, never overwritten. */
export const DEV_ENV_FILE_MARKER = "# Written by `npm run dev`";

const quiet = { info: () => {}, error: (...args: unknown[]) => console.error(...args) };

/**
 * Where the scripts read `.env*` files from: the project root (npm runs scripts there), or
 * ENV_DIR, so that a test can give a stack of its own without touching the developer's files.
 */
export function envDir(): string {
  return path.resolve(process.env.ENV_DIR || ".");
}

export type LoadedEnv = {
  /** For each variable read from a file, the file's name (`.env`, `.env.development.local`…). */
  sources: Record<string, string>;
};

/**
 * Loads `.env*` files into process.env the way Next.js does (`@next/env`, which Next.js itself
 * uses): the environment wins over every file, then `.env.<mode>.local`, `.env.local` (not in
 * test mode), `.env.<mode>`, `.env`. The mode is production under NODE_ENV=production (as for
 * `next start`), test under NODE_ENV=test, development otherwise (as for `next dev`), so the
 * settings `npm run dev` wrote reach every script while it runs and after it stopped.
 */
export function loadEnvFiles(dir = envDir()): LoadedEnv {
  const { loadedEnvFiles } = nextEnv.loadEnvConfig(dir, process.env.NODE_ENV !== "production", quiet, true);
  const sources: Record<string, string> = {};
  for (const file of loadedEnvFiles) {
    for (const name of Object.keys(file.env)) sources[name] ??= file.path;
  }
  return { sources };
}

/**
 * What the developer configured for `npm run dev`: the environment it was started with and
 * their own `.env*` files, without what an earlier `npm run dev` generated (else a setting it
 * chose, such as its emulator's URL, would pass for one the developer gave). process.env is
 * left as it was.
 */
export function developerSettings(dir = envDir()): Record<string, string | undefined> {
  const settings: Record<string, string | undefined> = { ...process.env };
  const { loadedEnvFiles } = nextEnv.loadEnvConfig(dir, true, quiet, true);
  nextEnv.resetEnv();
  for (const file of loadedEnvFiles) {
    if (file.path === DEV_ENV_FILE && isWrittenByDev(path.join(dir, file.path))) continue;
    for (const [name, value] of Object.entries(file.env)) settings[name] ??= value;
  }
  return settings;
}

/** True when `file` is missing or is one `npm run dev` wrote (so it may write it again). */
export function isWrittenByDev(file: string): boolean {
  return !existsSync(file) || readFileSync(file, "utf8").startsWith(DEV_ENV_FILE_MARKER);
}
