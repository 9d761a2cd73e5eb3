import { connect } from "node:net";
import pg from "pg";
import { DEV_ENV_FILE, loadEnvFiles, type LoadedEnv } from "./env-files";

/** Printed wherever the dev stack's servers are down. */
const START_DEV = "start it with `npm run dev` (or `npm run dev -- --no-next` for the database and the Stripe emulator only)";

/** What a tool says when a variable it needs has no value anywhere. */
export function notSetMessage(name: string): string {
  return `${name} is not set: start the dev stack with \`npm run dev\`, which writes it to ${DEV_ENV_FILE}, or set it in the environment or in .env (see .env.example)`;
}

/**
 * The configuration of a command-line tool (`npm run cleanup`, `reconcile`, `api-key`,
 * `db:seed`, `db:migrate`): the environment and the `.env*` files, `npm run dev`'s
 * `.env.development.local` included, loaded once. Every problem ends the tool with one line
 * on stderr that names the variable or the server and says how to fix it; never a stack trace.
 */
export class CliConfig {
  private readonly loaded: LoadedEnv;

  constructor(private readonly tool: string) {
    this.loaded = loadEnvFiles();
  }

  /** The variable's value; exits 2 naming it and how to get it when it is not set. */
  require(name: string): string {
    return process.env[name] || this.fail(`${notSetMessage(name)}.`, 2);
  }

  /** Where a variable came from, for messages: a file's name, or "the environment". */
  sourceOf(name: string): string {
    return this.loaded.sources[name] ?? "the environment";
  }

  /** True when the variable's value is the one `npm run dev` wrote. */
  isFromDevStack(name: string): boolean {
    return this.loaded.sources[name] === DEV_ENV_FILE;
  }

  /**
   * Runs `parse` (one of src/env.ts's parsers) and returns its result; an EnvError (one line
   * per bad variable) becomes one line, exit 2.
   */
  validate<T>(parse: () => T): T {
    try {
      return parse();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const problems = message.split("\n").slice(1).map((line) => line.trim());
      return this.fail(`invalid settings (see .env.example): ${problems.join("; ") || message}`, 2);
    }
  }

  /** Exits 1 with one line when PostgreSQL at DATABASE_URL does not answer. */
  async requireDatabase(): Promise<void> {
    const problem = await this.databaseProblem(this.require("DATABASE_URL"));
    if (problem) this.fail(problem, 1);
  }

  /** Why PostgreSQL at `databaseUrl` cannot be used, in one line; null when it answers. */
  async databaseProblem(databaseUrl: string): Promise<string | null> {
    const url = new URL(databaseUrl);
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return null;
    } catch (error) {
      const where = `${url.hostname}:${url.port || 5432}`;
      if (this.isFromDevStack("DATABASE_URL") && isRefused(error)) {
        return `the dev database (PostgreSQL at ${where}, from ${DEV_ENV_FILE}) is not running: ${START_DEV}.`;
      }
      return `cannot connect to PostgreSQL at ${where} (DATABASE_URL from ${this.sourceOf("DATABASE_URL")}): ${describe(error)}.`;
    } finally {
      await client.end().catch(() => {});
    }
  }

  /**
   * Exits 1 with one line when STRIPE_API_BASE is the dev stack's emulator and nothing listens
   * there. Real Stripe, or an emulator of your own, is not probed: its errors speak for themselves.
   */
  async requireDevEmulatorIfUsed(): Promise<void> {
    const base = process.env.STRIPE_API_BASE;
    if (!base || !this.isFromDevStack("STRIPE_API_BASE")) return;
    const url = new URL(base);
    const reachable = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: url.hostname, port: Number(url.port || 80), timeout: 3_000 });
      const answer = (listening: boolean) => {
        socket.destroy();
        resolve(listening);
      };
      socket.once("connect", () => answer(true));
      socket.once("error", () => answer(false));
      socket.once("timeout", () => answer(false));
    });
    if (!reachable) this.fail(`the dev stack's Stripe emulator (${base}, from ${DEV_ENV_FILE}) is not running: ${START_DEV}.`, 1);
  }

  /** One line on stderr, prefixed with the tool's name, and the exit code. */
  fail(message: string, exitCode: 1 | 2): never {
    process.stderr.write(`${this.tool}: ${message}\n`);
    process.exit(exitCode);
  }
}

function isRefused(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ECONNREFUSED" || (error instanceof AggregateError && error.errors.some(isRefused));
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors[0]) return describe(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}
