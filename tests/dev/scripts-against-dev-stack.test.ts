import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, DevStack, scratchDir } from "./dev-stack";

const execFileAsync = promisify(execFile);

type Run = { code: number; stdout: string; stderr: string };

/** `npm run -s <script> -- …` with no environment but PATH, HOME and the given variables. */
async function npmRun(env: Record<string, string>, script: string, ...args: string[]): Promise<Run> {
  return execFileAsync("npm", ["run", "-s", script, ...(args.length ? ["--", ...args] : [])], { env: cleanEnv(env), timeout: 60_000 })
    .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }))
    .catch((error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? "", stderr: error.stderr ?? "" }));
}

/** One line on stderr and no stack trace (Prisma's own lines, "Loaded Prisma config…", aside). */
function expectOneLineError(run: Run, exitCode: number, pattern: RegExp) {
  expect(run.code, run.stdout + run.stderr).toBe(exitCode);
  const lines = run.stderr.split("\n").filter((line) => pattern.test(line));
  expect(lines, run.stderr).toHaveLength(1);
  expect(run.stdout + run.stderr).not.toMatch(/^\s+at /m);
}

describe("the scripts find the dev stack by its .env.development.local, with nothing else set", () => {
  let envDir: string;
  let dataDir: string;
  let stack: DevStack;
  const env = () => ({ ENV_DIR: envDir });

  beforeAll(async () => {
    envDir = await scratchDir("dev-scripts-");
    dataDir = path.join(envDir, "data");
    stack = await DevStack.start({ envDir, dataDir });
  }, 120_000);

  afterAll(async () => {
    await stack?.killAll();
    await rm(envDir, { recursive: true, force: true });
  });

  it("writes what it generated to .env.development.local, readable by its owner only", () => {
    const file = path.join(envDir, ".env.development.local");
    const text = readFileSync(file, "utf8");
    expect(text.split("\n")[0]).toMatch(/^# Written by `npm run dev`/);
    for (const name of ["DATABASE_URL", "AUTH_SECRET", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "METRICS_TOKEN", "CRON_SECRET"]) {
      expect(text).toMatch(new RegExp(`^${name}=\\S+$`, "m"));
    }
    expect(text).toContain(`127.0.0.1:${readFileSync(path.join(dataDir, "postgres.port"), "utf8").trim()}/payments`);
    expect(readFileSync(path.join(dataDir, "stripe-emulator.port"), "utf8").trim()).toMatch(/^\d+$/);
  });

  it("runs api-key, cleanup, reconcile, db:migrate and db:seed while it runs", async () => {
    const apiKey = await npmRun(env(), "api-key", "--email", "script@example.test", "--name", "ci");
    expect(apiKey.code, apiKey.stderr).toBe(0);
    expect(apiKey.stdout.trimEnd().split("\n").at(-1)).toMatch(/^ipk_[A-Za-z0-9_-]{43}$/);

    const cleanup = await npmRun(env(), "cleanup", "--dry-run");
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(cleanup.stdout).toContain("dry run: would delete 0");

    const reconcile = await npmRun(env(), "reconcile");
    expect(reconcile.code, reconcile.stderr).toBe(0);
    expect(reconcile.stdout).toContain("recorded 0, forgotten 0, skipped 0, unresolved 0");

    const migrate = await npmRun(env(), "db:migrate");
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain("No pending migrations to apply.");

    const seed = await npmRun(env(), "db:seed");
    expect(seed.code, seed.stderr).toBe(0);
  });

  it("reconcile needs the database and Stripe only, not the Auth.js or webhook secrets", async () => {
    const text = readFileSync(path.join(envDir, ".env.development.local"), "utf8");
    const value = (name: string) => new RegExp(`^${name}=(\\S+)$`, "m").exec(text)![1]!;
    const empty = await scratchDir("dev-scripts-empty-");
    try {
      const only = { ENV_DIR: empty, DATABASE_URL: value("DATABASE_URL"), STRIPE_SECRET_KEY: value("STRIPE_SECRET_KEY"), STRIPE_API_BASE: value("STRIPE_API_BASE") };
      const reconcile = await npmRun(only, "reconcile");
      expect(reconcile.code, reconcile.stderr).toBe(0);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("after it stopped, says in one line that the dev database is not running", async () => {
    process.kill(stack.npmPid, "SIGTERM");
    await stack.waitFor(/\[dev\] stopped/, 15_000);
    const notRunning = /the dev database \(PostgreSQL at 127\.0\.0\.1:\d+, from \.env\.development\.local\) is not running: start it with `npm run dev`/;
    for (const [script, ...args] of [["cleanup", "--dry-run"], ["api-key", "--email", "script@example.test"], ["reconcile"], ["db:seed"], ["db:migrate"]] as const) {
      expectOneLineError(await npmRun(env(), script, ...args), 1, notRunning);
    }
  });

  it("with no configuration at all, each names DATABASE_URL in one line", async () => {
    const empty = await scratchDir("dev-scripts-none-");
    try {
      const missing = /DATABASE_URL is not set: start the dev stack with `npm run dev`, which writes it to \.env\.development\.local, or set it in the environment or in \.env/;
      expectOneLineError(await npmRun({ ENV_DIR: empty }, "cleanup"), 2, missing);
      expectOneLineError(await npmRun({ ENV_DIR: empty }, "api-key", "--email", "script@example.test"), 2, missing);
      expectOneLineError(await npmRun({ ENV_DIR: empty }, "reconcile"), 2, missing);
      expectOneLineError(await npmRun({ ENV_DIR: empty }, "db:seed"), 2, missing);
      expectOneLineError(await npmRun({ ENV_DIR: empty }, "db:migrate"), 1, missing);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe("npm run dev with settings of the developer's", () => {
  let envDir: string;
  let blocker: Server | undefined;

  beforeAll(async () => {
    envDir = await scratchDir("dev-settings-");
  });

  afterAll(async () => {
    blocker?.close();
    await rm(envDir, { recursive: true, force: true });
  });

  it("uses a given STRIPE_API_BASE as is, and moves off a kept port another program took", async () => {
    const dataDir = path.join(envDir, "data");
    const first = await DevStack.start({ envDir, dataDir });
    process.kill(first.npmPid, "SIGTERM");
    await first.waitFor(/\[dev\] stopped/, 15_000);
    const keptPort = Number(readFileSync(path.join(dataDir, "postgres.port"), "utf8"));
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(keptPort, "127.0.0.1", resolve));

    const stripeApiBase = "http://127.0.0.1:9"; // nothing is started there, and nothing needs it to start
    const second = await DevStack.start({ envDir, dataDir, env: { STRIPE_API_BASE: stripeApiBase } });
    try {
      expect(second.log).toMatch(new RegExp(`PostgreSQL's port ${keptPort}, kept in .*, is taken by another program: it moves to \\d+`));
      expect(second.log).toContain(`stripe:     ${stripeApiBase} (your STRIPE_API_BASE: no emulator started;`);
      const text = readFileSync(path.join(envDir, ".env.development.local"), "utf8");
      expect(text).not.toMatch(/^STRIPE_API_BASE=/m);
      expect(text).not.toContain(`:${keptPort}/`);
    } finally {
      process.kill(second.npmPid, "SIGTERM");
      await second.waitFor(/\[dev\] stopped/, 15_000).finally(() => second.killAll());
    }
  }, 240_000);
});
