/**
 * `npm run dev`: one command from a fresh clone to a working app.
 *
 * Without DATABASE_URL it starts an embedded PostgreSQL (data under .data/, kept across
 * restarts, on a port kept in .data/postgres.port); it starts the Stripe emulator unless Stripe
 * is configured (a STRIPE_API_BASE is used as given; a STRIPE_SECRET_KEY alone means real
 * Stripe), with its state beside the embedded database (.data/stripe-emulator/) so that payments
 * stay refundable after a restart; writes the settings it generated to .env.development.local
 * for the other scripts; applies migrations, seeds the demo user and keeps its API key; then
 * starts Next.js and says `ready` once it answers. SIGINT, SIGTERM or SIGHUP to any process of
 * `npm run dev` (npm, tsx or this one), or its terminal closing, stops everything. package.json
 * runs it with `exec tsx …`: npm forwards SIGINT and SIGTERM to its `sh -c`, which would keep a
 * SIGINT to itself while it waits for tsx.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { startStripeEmulator } from "../tools/stripe-emulator";
import { runCommand, startGroup, stopGroup } from "./lib/child-processes";
import { createApiKeyViaCli } from "./lib/create-api-key-via-cli";
import { DEMO_EMAIL, DEMO_PASSWORD } from "./lib/demo-user";
import { ensureDatabase, startEmbeddedPostgres } from "./lib/embedded-postgres";
import { DEV_ENV_FILE, DEV_ENV_FILE_MARKER, developerSettings, envDir, isWrittenByDev } from "./lib/env-files";
import { stablePort } from "./lib/stable-port";
import { watchLauncher } from "./lib/watch-launcher";

const USAGE = `Usage: npm run dev [-- --no-next]

Starts the app with an embedded PostgreSQL and the Stripe emulator (see README.md, Quick
start), and writes their settings to .env.development.local for the other scripts.

  --no-next   the database and the emulator only (for the scripts, or a Next.js of your own)

PORT (default 3000) and DEV_HOST (default 127.0.0.1) say where Next.js listens;
DEV_DATA_DIR (default .data) where the database, the emulator's state, the ports, the
secrets and the demo API key are kept; ENV_DIR where the .env files are (default: here).`;

const flags = (() => {
  try {
    return parseArgs({ options: { "no-next": { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false } } }).values;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    process.exit(2);
  }
})();
if (flags.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const BIN = path.resolve("node_modules/.bin");
const NEXT = path.resolve("node_modules/next/dist/bin/next");
/** Next.js compiles a page on its first request: on two cores that takes up to a minute. */
const READY_TIMEOUT_MS = 180_000;
/** Past this, a shutdown that still waits on something exits anyway. */
const STOP_TIMEOUT_MS = 20_000;

/** The environment and the developer's own .env files; not what an earlier start generated. */
const settings = developerSettings();
const DATA_DIR = path.resolve(settings.DEV_DATA_DIR || ".data");
const port = Number(settings.PORT || 3000);
const host = settings.DEV_HOST || "127.0.0.1";
/** Where Next.js listens, for this script and the emulator's webhooks. */
const localUrl = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
/**
 * The one address printed and to be used, and AUTH_URL, on which Auth.js builds its redirects
 * (sign-in, sign-out). `localhost` for a loopback address: Next.js rewrites 127.x.x.x and [::1]
 * to `localhost` in every NextRequest's URL (next/dist/server/web/next-url.js), Auth.js's
 * included, so a browser on 127.0.0.1 would be sent to localhost, where its cookies are not.
 */
const appUrl = settings.AUTH_URL ?? (/^(127\.|::1$|localhost$)/.test(host) ? `http://localhost:${port}` : localUrl);

const stoppers: Array<() => Promise<void>> = [];
const stopping = new AbortController();
let shuttingDown = false;

async function main() {
  const embeddedDatabase = !settings.DATABASE_URL;
  /** What this script chose itself: written to .env.development.local for the other scripts. */
  const generated: Record<string, string> = {};
  const childEnv: NodeJS.ProcessEnv = {
    ...settings,
    NODE_ENV: "development",
    NEXT_TELEMETRY_DISABLED: "1",
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
    CHECKPOINT_DISABLE: "1",
    AUTH_URL: appUrl,
    AUTH_TRUST_HOST: "true",
  };
  const generate = (name: string, value: string) => {
    childEnv[name] = value;
    generated[name] = value;
  };
  if (!settings.AUTH_SECRET && !settings.NEXTAUTH_SECRET) generate("AUTH_SECRET", await persistentSecret("auth-secret"));
  if (!settings.METRICS_TOKEN) generate("METRICS_TOKEN", await persistentSecret("metrics-token"));
  if (!settings.CRON_SECRET) generate("CRON_SECRET", await persistentSecret("cron-secret"));

  let stripe: string;
  if (settings.STRIPE_SECRET_KEY && !settings.STRIPE_API_BASE) {
    stripe = "real Stripe (STRIPE_SECRET_KEY)";
  } else {
    if (!settings.STRIPE_SECRET_KEY) generate("STRIPE_SECRET_KEY", "sk_test_emulator");
    if (!settings.STRIPE_WEBHOOK_SECRET) generate("STRIPE_WEBHOOK_SECRET", await persistentSecret("webhook-secret", "whsec_"));
    if (settings.STRIPE_API_BASE) {
      stripe = `${settings.STRIPE_API_BASE} (your STRIPE_API_BASE: no emulator started; its webhooks go to ${localUrl}/api/webhooks/stripe only if you point them there, signed with STRIPE_WEBHOOK_SECRET)`;
    } else {
      // The emulator's state belongs with the database whose rows refer to it: it is kept beside the
      // embedded one. With a DATABASE_URL of your own, STRIPE_EMULATOR_DATA_DIR says where, if anywhere.
      const dataDir = settings.STRIPE_EMULATOR_DATA_DIR || (embeddedDatabase ? path.join(DATA_DIR, "stripe-emulator") : undefined);
      generate("STRIPE_API_BASE", await startEmulator(childEnv.STRIPE_WEBHOOK_SECRET!, dataDir));
      stripe = `emulator at ${childEnv.STRIPE_API_BASE}${dataDir ? ` (state in ${relative(dataDir)})` : ""}`;
    }
  }

  if (embeddedDatabase) generate("DATABASE_URL", await startDatabase());
  await writeDevEnvFile(generated);

  log("applying migrations");
  const { signal } = stopping;
  await runCommand(path.join(BIN, "prisma"), ["migrate", "deploy"], { env: childEnv, stdio: ["ignore", "ignore", "pipe"], signal });
  await runCommand(path.join(BIN, "tsx"), ["--conditions=react-server", "prisma/seed.ts"], { env: childEnv, signal });
  const keyFile = path.join(DATA_DIR, "demo-api-key");
  const apiKey = await createApiKeyViaCli(DEMO_EMAIL, childEnv, "dev", { keepIn: keyFile, signal });

  if (!flags["no-next"]) await startNext(childEnv);

  const database = embeddedDatabase ? `embedded, data in ${relative(path.join(DATA_DIR, "postgres"))}` : "your DATABASE_URL";
  const bearer = (name: string, route: string) =>
    `curl -H "Authorization: Bearer ${childEnv[name]}" ${appUrl}${route}${generated[name] ? "" : `   (your ${name})`}`;
  log("");
  log(flags["no-next"] ? "ready: the database and the Stripe emulator (--no-next: no Next.js)" : `ready: ${appUrl}`);
  log(`demo login: ${DEMO_EMAIL} / ${DEMO_PASSWORD}`);
  log(`api key:    ${apiKey}   (kept in ${relative(keyFile)}; BASE_URL=${appUrl} API_KEY=… scripts/pay-with-retry.sh)`);
  log(`database:   ${childEnv.DATABASE_URL}   (${database})`);
  log(`stripe:     ${stripe}`);
  if (!flags["no-next"]) {
    log(`metrics:    ${bearer("METRICS_TOKEN", "/api/metrics")}`);
    log(`cron:       ${bearer("CRON_SECRET", "/api/cron/cleanup")}`);
  }
  log(`settings:   ${relative(path.join(envDir(), DEV_ENV_FILE))}, read by npm run cleanup, reconcile, api-key, db:migrate and db:seed`);
  log("Ctrl-C stops everything.");
  log("");
}

async function startDatabase(): Promise<string> {
  const dataDir = path.join(DATA_DIR, "postgres");
  log(`starting embedded PostgreSQL (data in ${relative(dataDir)})`);
  const server = await startEmbeddedPostgres({
    dataDir,
    port: () => stablePort(path.join(DATA_DIR, "postgres.port"), moved("PostgreSQL")),
  });
  stoppers.push(() => server.stop());
  await ensureDatabase(server.adminUrl, "payments");
  return server.urlFor("payments");
}

async function startEmulator(webhookSecret: string, dataDir: string | undefined): Promise<string> {
  const emulatorPort = settings.STRIPE_EMULATOR_PORT
    ? Number(settings.STRIPE_EMULATOR_PORT)
    : await stablePort(path.join(DATA_DIR, "stripe-emulator.port"), moved("the Stripe emulator"));
  const webhookUrl = `${localUrl}/api/webhooks/stripe`;
  const emulator = await startStripeEmulator({ port: emulatorPort, webhookUrl, webhookSecret, dataDir });
  stoppers.push(() => emulator.close());
  return emulator.url;
}

/** Starts `next dev` and resolves once it answers a request; a Next.js that exits stops everything. */
async function startNext(childEnv: NodeJS.ProcessEnv): Promise<void> {
  Object.assign(childEnv, await buildDirectory());
  const next = startGroup(process.execPath, [NEXT, "dev", "--port", String(port), "--hostname", host], { env: childEnv });
  stoppers.unshift(() => stopGroup(next));
  const exited = new Promise<number>((resolve) => next.once("exit", (code) => resolve(code ?? 1)));
  void exited.then((code) => {
    if (shuttingDown) return;
    log(`Next.js exited (${code})`);
    void shutdown(code || 1, "Next.js exited");
  });
  log(`starting Next.js: "ready" once it answers ${localUrl}/ (it compiles the page first)`);
  // Any answer will do: the page is compiled by then, so the first one a browser asks for is quick.
  for (const deadline = Date.now() + READY_TIMEOUT_MS; !shuttingDown; ) {
    const timeout = AbortSignal.timeout(Math.max(1, deadline - Date.now()));
    const answered = await fetch(`${localUrl}/`, { redirect: "manual", signal: AbortSignal.any([stopping.signal, timeout]) })
      .then(async (response) => (await response.body?.cancel(), true))
      .catch(() => false);
    if (answered) return;
    if (Date.now() >= deadline) throw new Error(`Next.js did not answer ${localUrl}/ within ${READY_TIMEOUT_MS / 1000} s`);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 250))]);
  }
  throw new Error("stopped before Next.js answered");
}

/**
 * Next.js runs one `next dev` per build directory (it locks `<dir>/dev/lock`): NEXT_DIST_DIR
 * names one, else `.next`, unless another `npm run dev` of this checkout holds it: then this
 * one builds into `.next-dev-<port>`. A directory other than `.next` gets a tsconfig of its own
 * (`tsconfig.dev-<name>.json`, gitignored) for Next.js to add that directory's types to.
 */
async function buildDirectory(): Promise<Record<string, string>> {
  let distDir = settings.NEXT_DIST_DIR || ".next";
  if (distDir === ".next" && isLocked(".next")) {
    distDir = `.next-dev-${port}`;
    log(`another dev server uses .next; this one builds into ${distDir}`);
  }
  if (distDir === ".next") return {};
  const tsconfig = `tsconfig.dev-${distDir.replace(/^\.next-dev-/, "").replace(/[^\w.-]+/g, "-")}.json`;
  if (!existsSync(tsconfig)) await writeFile(tsconfig, `${JSON.stringify({ extends: "./tsconfig.json" }, null, 2)}\n`);
  return { NEXT_DIST_DIR: distDir, NEXT_TSCONFIG_PATH: tsconfig };
}

function isLocked(distDir: string): boolean {
  const lock = path.resolve(distDir, "dev/lock");
  if (!existsSync(lock)) return false;
  try {
    const { pid } = JSON.parse(readFileSync(lock, "utf8")) as { pid: number };
    process.kill(pid, 0);
    return true;
  } catch {
    return false; // a stale lock: Next.js takes it over
  }
}

/**
 * What this start generated, for the scripts (Next.js's own loader, which they share, reads
 * `.env.development.local` first). A file of that name that this script did not write is the
 * developer's: it is left alone, and the scripts then need the settings some other way.
 */
async function writeDevEnvFile(values: Record<string, string>): Promise<void> {
  const file = path.join(envDir(), DEV_ENV_FILE);
  if (!isWrittenByDev(file)) {
    log(`${relative(file)} is yours (its first line is not "${DEV_ENV_FILE_MARKER}"): the dev stack's settings are not written there`);
    return;
  }
  const text = [
    `${DEV_ENV_FILE_MARKER} (scripts/dev.ts) at each start: the settings it generated for this`,
    "# checkout's dev stack, for npm run cleanup, reconcile, api-key, db:migrate and db:seed, while it",
    "# runs and after it stopped. Rewritten at each start: put settings of your own in .env.local.",
    ...Object.entries(values).map(([name, value]) => `${name}=${value}`),
  ].join("\n");
  await writeFile(file, `${text}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

/** Dev-only secrets generated once and kept in the data directory, so sessions survive restarts. */
async function persistentSecret(name: string, prefix = ""): Promise<string> {
  const file = path.join(DATA_DIR, name);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  await mkdir(DATA_DIR, { recursive: true });
  const secret = prefix + randomBytes(32).toString(prefix ? "hex" : "base64url");
  await writeFile(file, secret, { mode: 0o600 });
  return secret;
}

function moved(what: string) {
  return (taken: number, chosen: number) =>
    log(`${what}'s port ${taken}, kept in ${relative(DATA_DIR)}/, is taken by another program: it moves to ${chosen} (${DEV_ENV_FILE} follows)`);
}

async function shutdown(exitCode: number, reason: string) {
  if (shuttingDown) return;
  shuttingDown = true;
  stopping.abort();
  log(`stopping (${reason})`);
  setTimeout(() => {
    log(`still stopping after ${STOP_TIMEOUT_MS / 1000} s: exiting`);
    process.exit(exitCode || 1);
  }, STOP_TIMEOUT_MS);
  for (const stop of stoppers) {
    await stop().catch((error: unknown) => log(`while stopping: ${String(error)}`));
  }
  log("stopped");
  process.exit(exitCode);
}

function log(message: string) {
  process.stdout.write(`[dev] ${message}\n`);
}

/** A path as short as it can be said: relative inside the project, absolute outside it. */
function relative(target: string): string {
  const inside = path.relative(process.cwd(), target);
  return inside.startsWith("..") ? target : inside || ".";
}

// A closed terminal fails every write (EIO, EPIPE): that must not end the shutdown half-way.
process.stdout.on("error", () => {});
process.stderr.on("error", () => {});

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  // embedded-postgres (async-exit-hook) answers these by stopping its server and exiting at once;
  // this script owns the shutdown order instead (Next.js first, the database last). Only the
  // listeners process.listeners() shows go: tsx hides its own, which tells the tsx process above
  // that this one got the signal; without it tsx SIGKILLs this process 60 ms later, mid-shutdown.
  for (const listener of process.listeners(signal)) process.removeListener(signal, listener);
  process.on(signal, () => void shutdown(0, signal));
}
watchLauncher((who) => void shutdown(0, `${who}, of the npm run dev that started this, is gone`));

main().catch(async (error: unknown) => {
  if (shuttingDown) return;
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1, "start-up failed");
});
