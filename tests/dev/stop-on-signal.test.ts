import { existsSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DevStack, isListening, keptPorts, processesMentioning, scratchDir, stillRunning, type ProcessInfo } from "./dev-stack";

const LAYERS = ["npm", "tsx", "node"] as const;
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
/**
 * Next.js boots and compiles for 20–40 s on two cores, so it runs in a Latin square: each layer
 * and each signal once with it, the other six cases with `--no-next` (the same processes above
 * it, the same shutdown; Next.js is one more stopper in it).
 */
const WITH_NEXT = new Set(["npm SIGTERM", "tsx SIGINT", "node SIGHUP"]);
const STOP_WITHIN_MS = 10_000;

describe("one signal to any process of `npm run dev` stops everything", () => {
  let envDir: string;
  let dataDir: string;
  // Inside the project, as Next.js requires; its own, so a developer's `next dev` is not disturbed.
  const distDir = `.next-dev-test-${process.pid}`;
  const seen = { apiKeys: new Set<string>(), databaseUrls: new Set<string>() };

  beforeAll(async () => {
    envDir = await scratchDir("dev-signals-");
    dataDir = path.join(envDir, "data");
  });

  afterAll(async () => {
    await rm(envDir, { recursive: true, force: true });
    await rm(distDir, { recursive: true, force: true });
    await rm(`tsconfig.dev-test-${process.pid}.json`, { force: true });
  });

  for (const layer of LAYERS) {
    for (const signal of SIGNALS) {
      const withNext = WITH_NEXT.has(`${layer} ${signal}`);
      it(`${signal} to ${layer}${withNext ? ", with Next.js" : ", with --no-next"}`, { timeout: withNext ? 260_000 : 120_000 }, async () => {
        const stack = await DevStack.start({ envDir, dataDir, nextDistDir: withNext ? distDir : undefined });
        let processes: ProcessInfo[] = stack.processes();
        try {
          const ports = [...keptPorts(dataDir), ...(withNext ? [stack.port] : [])];
          expect(ports).toHaveLength(withNext ? 3 : 2);
          for (const port of ports) expect(await isListening(port), `port ${port} before the signal`).toBe(true);
          if (withNext) {
            // "ready" means it answers: the page is compiled already.
            const asked = Date.now();
            const page = await fetch(`http://127.0.0.1:${stack.port}/`, { signal: AbortSignal.timeout(10_000) });
            expect(page.status).toBe(200);
            expect(Date.now() - asked).toBeLessThan(5_000);
            // The printed address is the one sign-in and sign-out stay on (Next.js calls every
            // loopback address localhost, so that is the one printed).
            const appUrl = `http://localhost:${stack.port}`;
            expect(stack.log).toContain(`[dev] ready: ${appUrl}\n`);
            expect(await signOutRedirect(`http://127.0.0.1:${stack.port}`, appUrl)).toBe(`${appUrl}/`);
          }
          seen.apiKeys.add(/\[dev\] api key: +(\S+)/.exec(stack.log)?.[1] ?? "none");
          seen.databaseUrls.add(/\[dev\] database: +(\S+)/.exec(stack.log)?.[1] ?? "none");
          processes = stack.processes(); // Next.js's workers included

          const target = stack.layers()[layer];
          const sent = Date.now();
          process.kill(target, signal);
          while (stillRunning(processes).length > 0 && Date.now() - sent < STOP_WITHIN_MS) await new Promise((r) => setTimeout(r, 100));

          expect(stillRunning(processes).map((p) => `${p.pid} ${p.cmdline}`)).toEqual([]);
          expect(processesMentioning(dataDir).map((p) => `${p.pid} ${p.cmdline}`)).toEqual([]);
          for (const port of ports) expect(await isListening(port), `port ${port} after the signal`).toBe(false);
          expect(existsSync(path.join(dataDir, "postgres.owner"))).toBe(false);
          expect(stack.log).toContain("[dev] stopped");
        } finally {
          await stack.killAll(processes);
        }
      });
    }
  }

  it("kept the database's port and the demo API key across every start", () => {
    expect(seen.databaseUrls.size).toBe(1);
    expect(seen.apiKeys.size).toBe(1);
    expect([...seen.apiKeys][0]).toMatch(/^ipk_/);
    expect(statSync(path.join(dataDir, "demo-api-key")).mode & 0o777).toBe(0o600);
  });
});

/** Where Auth.js sends a browser on `appUrl` after signing out (reached through `via`). */
async function signOutRedirect(via: string, appUrl: string): Promise<string | null> {
  const csrf = await fetch(`${via}/api/auth/csrf`);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const cookie = csrf.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
  const signOut = await fetch(`${via}/api/auth/signout`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie, origin: appUrl, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrfToken, callbackUrl: "/" }),
  });
  return signOut.headers.get("location");
}
