import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import { freePort } from "./embedded-postgres";

/**
 * Ports are picked below Linux's ephemeral range (32768–60999), where the system hands out the
 * local ports of outgoing connections: one of those could hold a kept port while dev is stopped.
 */
const FIRST = 20_000;
const COUNT = 12_000;

/**
 * The port kept in `file`: chosen free once, then the same at every start, so that what
 * refers to it (.env.development.local, a database client's saved connection) stays right.
 * When another program holds it at start, a new one is chosen and kept, and `onMoved` says so.
 */
export async function stablePort(file: string, onMoved: (taken: number, chosen: number) => void): Promise<number> {
  const kept = existsSync(file) ? Number(readFileSync(file, "utf8").trim()) : NaN;
  const valid = Number.isInteger(kept) && kept > 0 && kept < 65_536;
  if (valid && (await isFree(kept))) return kept;
  const chosen = await pickFreePort();
  if (valid) onMoved(kept, chosen);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${chosen}\n`);
  return chosen;
}

/** Whether nothing listens on 127.0.0.1:`port` (a listener on every interface counts). */
export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

async function pickFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const candidate = FIRST + Math.floor(Math.random() * COUNT);
    if (await isFree(candidate)) return candidate;
  }
  return freePort();
}
