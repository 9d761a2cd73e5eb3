import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ChildProcess } from "node:child_process";
import type { TestProject } from "vitest/node";
import { startGroup, stopGroup } from "../../scripts/lib/child-processes";
import { ensureDatabase, freePort, startEmbeddedPostgres } from "../../scripts/lib/embedded-postgres";
import { startStripeEmulator } from "../../tools/stripe-emulator";
import { migrate } from "../global-setup";
import { buildAppIfStale } from "../../scripts/lib/build-app-if-stale";
import { ARTIFACTS_DIR } from "./helpers/artifacts";
import { SERVER_LOG } from "./helpers/server-log";

declare module "vitest" {
  export interface ProvidedContext {
    e2eAppUrl: string;
    e2eEmulatorUrl: string;
    e2eDatabaseUrl: string;
  }
}

const NEXT_BIN = path.resolve("node_modules/next/dist/bin/next");
/** The e2e build's own directory (next.config.ts reads NEXT_DIST_DIR): `.next` stays the developer's. */
const DIST_DIR = ".next-e2e";
const HEALTH_TIMEOUT_MS = 60_000;

/**
 * The whole stack, once per run: a production build of the app (made again only when the
 * sources changed), a throw-away PostgreSQL with the migrations applied, the Stripe emulator
 * in this process and `next start` on a free loopback port. Returns the teardown, which
 * stops all of it in reverse order.
 */
export default async function setup(project: TestProject) {
  const stops: Array<() => Promise<unknown>> = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => log(`while stopping: ${String(error)}`));
  };

  try {
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    await buildAppIfStale(DIST_DIR, log);

    const tmp = await mkdtemp(path.join(os.tmpdir(), "payments-e2e-"));
    stops.push(() => rm(tmp, { recursive: true, force: true }));
    await chmod(tmp, 0o755); // as root, PostgreSQL runs as its own user and must reach it
    const postgres = await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), ephemeral: true });
    stops.push(() => postgres.stop());
    await ensureDatabase(postgres.adminUrl, "payments_e2e");
    const databaseUrl = postgres.urlFor("payments_e2e");
    await migrate(databaseUrl);

    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    const webhookSecret = `whsec_${randomBytes(16).toString("hex")}`;
    // Webhooks go to the app as in `npm run dev`, so the browser sees what production would.
    const emulator = await startStripeEmulator({ port: 0, webhookUrl: `${appUrl}/api/webhooks/stripe`, webhookSecret });
    stops.push(() => emulator.close());

    const server = startServer(port, {
      DATABASE_URL: databaseUrl,
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      AUTH_URL: appUrl,
      AUTH_TRUST_HOST: "true",
      STRIPE_SECRET_KEY: "sk_test_e2e",
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      STRIPE_API_BASE: emulator.url,
    });
    stops.push(() => stopGroup(server));
    // If this process dies before its teardown, the server (its own process group) must not outlive it.
    process.once("exit", () => server.pid !== undefined && server.exitCode === null && killGroup(server.pid));
    await waitForHealth(appUrl, server);
    log(`app at ${appUrl}, Stripe emulator at ${emulator.url}; server log in ${path.relative(process.cwd(), SERVER_LOG)}`);

    project.provide("e2eAppUrl", appUrl);
    project.provide("e2eEmulatorUrl", emulator.url);
    project.provide("e2eDatabaseUrl", databaseUrl);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

function startServer(port: number, appEnv: Record<string, string>): ChildProcess {
  const logFile = openSync(SERVER_LOG, "w");
  try {
    return startGroup(process.execPath, [NEXT_BIN, "start", "--hostname", "127.0.0.1", "--port", String(port)], {
      env: childEnv({ ...appEnv, NODE_ENV: "production", NEXT_DIST_DIR: DIST_DIR }),
      stdio: ["ignore", logFile, logFile],
    });
  } finally {
    closeSync(logFile); // the child has its own copy of the descriptor
  }
}

/** Bounded: the server answers /api/health within HEALTH_TIMEOUT_MS or the run fails with its log. */
async function waitForHealth(appUrl: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) break;
    const healthy = await fetch(`${appUrl}/api/health`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const tail = readFileSync(SERVER_LOG, "utf8").split("\n").slice(-30).join("\n");
  throw new Error(`next start did not become healthy at ${appUrl}/api/health:\n${tail}`);
}

/**
 * The environment of `next start`: this one's, without what Vitest set for itself
 * (NODE_ENV=test would make Next.js run in an unsupported mode), plus `extra`.
 */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
  for (const name of Object.keys(env)) if (name.startsWith("VITEST") || name === "TEST") delete env[name];
  return { ...env, ...extra };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function log(message: string) {
  process.stdout.write(`[e2e] ${message}\n`);
}
