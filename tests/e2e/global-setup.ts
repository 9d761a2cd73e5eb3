import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { AppInstance } from "../../scripts/lib/app-instance";
import { buildAppIfStale } from "../../scripts/lib/build-app-if-stale";
import { ensureDatabase, freePort, startEmbeddedPostgres } from "../../scripts/lib/embedded-postgres";
import { startStripeEmulator } from "../../tools/stripe-emulator";
import { migrate } from "../global-setup";
import { ARTIFACTS_DIR } from "./helpers/artifacts";
import { SERVER_LOG } from "./helpers/server-log";

declare module "vitest" {
  export interface ProvidedContext {
    e2eAppUrl: string;
    e2eEmulatorUrl: string;
    e2eDatabaseUrl: string;
    e2eDistDir: string;
  }
}

/** The e2e build's own directory (next.config.ts reads NEXT_DIST_DIR): `.next` stays the developer's. */
const DIST_DIR = ".next-e2e";

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

    writeFileSync(SERVER_LOG, "");
    const server = new AppInstance(
      "e2e",
      port,
      {
        DATABASE_URL: databaseUrl,
        AUTH_SECRET: randomBytes(32).toString("base64url"),
        AUTH_URL: appUrl,
        AUTH_TRUST_HOST: "true",
        STRIPE_SECRET_KEY: "sk_test_e2e",
        STRIPE_WEBHOOK_SECRET: webhookSecret,
        STRIPE_API_BASE: emulator.url,
        // Every browser test signs up a customer of its own, all from 127.0.0.1.
        SIGN_UPS_PER_ADDRESS: "10000",
        NEXT_TELEMETRY_DISABLED: "1",
      },
      SERVER_LOG,
      DIST_DIR,
    );
    // If this process dies before its teardown, the server must not outlive it.
    process.once("exit", () => server.killNow());
    stops.push(() => server.stop());
    await server.start();
    log(`app at ${appUrl}, Stripe emulator at ${emulator.url}; server log in ${path.relative(process.cwd(), SERVER_LOG)}`);

    project.provide("e2eAppUrl", appUrl);
    project.provide("e2eEmulatorUrl", emulator.url);
    project.provide("e2eDatabaseUrl", databaseUrl);
    project.provide("e2eDistDir", DIST_DIR);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

function log(message: string) {
  process.stdout.write(`[e2e] ${message}\n`);
}
