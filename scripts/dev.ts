/**
 * `npm run dev`: one command from a fresh clone to a working app.
 *
 * Without DATABASE_URL it starts an embedded PostgreSQL (data under .data/, kept across
 * restarts); it applies migrations, seeds the demo user, starts the Stripe emulator unless
 * real Stripe is configured (with the embedded database, its state is kept next to it in
 * .data/stripe-emulator/, so that payments in the database stay refundable after a restart),
 * then Next.js. Ctrl-C or SIGTERM stops everything it started.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { startStripeEmulator, type StripeEmulator } from "../tools/stripe-emulator";
import { DEMO_EMAIL, DEMO_PASSWORD } from "./lib/demo-user";
import { createApiKeyViaCli } from "./lib/create-api-key-via-cli";
import { runCommand, startGroup, stopGroup } from "./lib/child-processes";
import { ensureDatabase, freePort, startEmbeddedPostgres, type EmbeddedPostgresServer } from "./lib/embedded-postgres";

const DATA_DIR = path.resolve(".data");
const BIN = path.resolve("node_modules/.bin");

if (existsSync(".env")) process.loadEnvFile(".env");

const port = Number(process.env.PORT ?? 3000);
const stoppers: Array<() => Promise<void>> = [];
let shuttingDown = false;

async function main() {
  const appUrl = `http://localhost:${port}`;
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "development",
    NEXT_TELEMETRY_DISABLED: "1",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
    AUTH_URL: process.env.AUTH_URL ?? appUrl,
    AUTH_TRUST_HOST: "true",
    AUTH_SECRET: process.env.AUTH_SECRET ?? process.env.NEXTAUTH_SECRET ?? (await persistentSecret("auth-secret")),
  };

  const embeddedDatabase = !process.env.DATABASE_URL;
  childEnv.DATABASE_URL = process.env.DATABASE_URL ?? (await startDatabase());
  log(`applying migrations`);
  await runCommand(path.join(BIN, "prisma"), ["migrate", "deploy"], { env: childEnv, stdio: ["ignore", "ignore", "inherit"] });
  await runCommand(path.join(BIN, "tsx"), ["--conditions=react-server", "prisma/seed.ts"], { env: childEnv });
  const devApiKey = await createApiKeyViaCli(DEMO_EMAIL, childEnv);

  const usesRealStripe = Boolean(process.env.STRIPE_SECRET_KEY && !process.env.STRIPE_API_BASE);
  if (!usesRealStripe) {
    childEnv.STRIPE_SECRET_KEY = process.env.STRIPE_SECRET_KEY ?? "sk_test_emulator";
    childEnv.STRIPE_WEBHOOK_SECRET = process.env.STRIPE_WEBHOOK_SECRET ?? (await persistentSecret("webhook-secret", "whsec_"));
    // The emulator's state belongs with the database whose rows refer to it: it is kept beside the
    // embedded one. With a DATABASE_URL of your own, STRIPE_EMULATOR_DATA_DIR says where, if anywhere.
    const emulatorDataDir =
      process.env.STRIPE_EMULATOR_DATA_DIR || (embeddedDatabase ? path.join(DATA_DIR, "stripe-emulator") : undefined);
    childEnv.STRIPE_API_BASE = await startEmulator(
      `http://127.0.0.1:${port}/api/webhooks/stripe`,
      childEnv.STRIPE_WEBHOOK_SECRET,
      emulatorDataDir,
    );
  }

  Object.assign(childEnv, await ownBuildDirIfTaken());
  const hostname = process.env.DEV_HOST ?? "127.0.0.1";
  const nextArgs = ["dev", "--port", String(port), "--hostname", hostname];
  const next = startGroup(process.execPath, [path.resolve("node_modules/next/dist/bin/next"), ...nextArgs], {
    env: childEnv,
  });
  stoppers.unshift(() => stopGroup(next));
  next.once("exit", (code) => {
    if (!shuttingDown) void shutdown(code ?? 1);
  });

  log("");
  log(`ready: ${appUrl}`);
  log(`demo login: ${DEMO_EMAIL} / ${DEMO_PASSWORD}`);
  log(`api key:    ${devApiKey}   (BASE_URL=${appUrl} API_KEY=… scripts/pay-with-retry.sh)`);
  log(`stripe: ${usesRealStripe ? "real Stripe (STRIPE_SECRET_KEY)" : `emulator at ${childEnv.STRIPE_API_BASE}`}`);
  log("");
}

async function startDatabase(): Promise<string> {
  log(`starting embedded PostgreSQL (data in .data/postgres)`);
  const server: EmbeddedPostgresServer = await startEmbeddedPostgres({ dataDir: path.join(DATA_DIR, "postgres") });
  stoppers.push(() => server.stop());
  await ensureDatabase(server.adminUrl, "payments");
  return server.urlFor("payments");
}

async function startEmulator(webhookUrl: string, webhookSecret: string, dataDir: string | undefined): Promise<string> {
  const emulatorPort = process.env.STRIPE_EMULATOR_PORT ? Number(process.env.STRIPE_EMULATOR_PORT) : await freePort();
  const emulator: StripeEmulator = await startStripeEmulator({ port: emulatorPort, webhookUrl, webhookSecret, dataDir });
  if (dataDir) log(`Stripe emulator state in ${path.relative(process.cwd(), dataDir) || "."}`);
  stoppers.push(() => emulator.close());
  return emulator.url;
}

/**
 * Next.js runs one `next dev` per build directory (it locks `.next/dev`). When another
 * `npm run dev` of this checkout holds it, this one builds into `.next-dev-<port>`, with a
 * tsconfig of its own (`tsconfig.dev-<port>.json`, gitignored) for Next.js to add that
 * directory's types to.
 */
async function ownBuildDirIfTaken(): Promise<Record<string, string>> {
  const lock = path.resolve(".next/dev/lock");
  if (!existsSync(lock)) return {};
  try {
    const { pid } = JSON.parse(readFileSync(lock, "utf8")) as { pid: number };
    process.kill(pid, 0);
  } catch {
    return {}; // a stale lock: Next.js takes it over
  }
  const distDir = `.next-dev-${port}`;
  const tsconfig = `tsconfig.dev-${port}.json`;
  if (!existsSync(tsconfig)) await writeFile(tsconfig, `${JSON.stringify({ extends: "./tsconfig.json" }, null, 2)}\n`);
  log(`another dev server uses .next; this one builds into ${distDir}`);
  return { NEXT_DIST_DIR: distDir, NEXT_TSCONFIG_PATH: tsconfig };
}

/** Dev-only secrets generated once and kept in .data/, so sessions survive restarts. */
async function persistentSecret(name: string, prefix = ""): Promise<string> {
  const file = path.join(DATA_DIR, name);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  await mkdir(DATA_DIR, { recursive: true });
  const secret = prefix + randomBytes(32).toString(prefix ? "hex" : "base64url");
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}

async function shutdown(exitCode: number) {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const stop of stoppers) {
    await stop().catch((error: unknown) => log(`while stopping: ${String(error)}`));
  }
  process.exit(exitCode);
}

function log(message: string) {
  process.stdout.write(`[dev] ${message}\n`);
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  // embedded-postgres hooks these signals to stop its server and exit at once; this script
  // owns the shutdown order instead (Next.js first, the database last).
  process.removeAllListeners(signal);
  process.on(signal, () => void shutdown(0));
}

main().catch(async (error: unknown) => {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
