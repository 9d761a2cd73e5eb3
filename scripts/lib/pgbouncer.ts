import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./embedded-postgres";

export type PgBouncerServer = {
  port: number;
  /** The pgbouncer process (a direct child of this one). */
  pid: number;
  /** Connection string of `database` through PgBouncer, with the upstream's user and password. */
  urlFor(database: string): string;
  /** The admin console (database `pgbouncer`): SHOW POOLS, SHOW CLIENTS, SHOW STATS… */
  adminUrl: string;
  stop(): Promise<void>;
};

type Options = {
  /**
   * A PostgreSQL connection string on 127.0.0.1 (its database part is ignored): PgBouncer
   * forwards every database to that server, and clients log in with its user and password,
   * which PgBouncer then uses to log in to PostgreSQL.
   */
  upstream: string;
  /** Default "transaction": a server connection is a client's for one transaction only. */
  poolMode?: "session" | "transaction" | "statement";
  /** Server connections per (database, user) pair. Default 20. */
  defaultPoolSize?: number;
  /** Server connections a pool may add when a client has waited reservePoolTimeoutSeconds. Default 0. */
  reservePoolSize?: number;
  reservePoolTimeoutSeconds?: number;
  /** Client connections PgBouncer accepts in all. Default 200. */
  maxClientConn?: number;
  /** Server connections per database, all users together; 0 (the default): no limit. */
  maxDbConnections?: number;
  /** Further [pgbouncer] settings, e.g. { server_login_retry: 1 }. */
  settings?: Record<string, string | number>;
  /** Each line PgBouncer logs. */
  onLog?: (line: string) => void;
};

const run = promisify(execFile);
const ADMIN_USER = "pgbouncer_admin";
/** Debian installs it in /usr/sbin, which is not on every user's PATH. */
const SBIN_DIRS = ["/usr/sbin", "/usr/local/sbin"];
/** PgBouncer refuses to run as root; as root it runs as this system user (as embedded-postgres runs PostgreSQL). */
const RUN_AS = "postgres";
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;

/**
 * Starts PgBouncer (the `pgbouncer` binary, e.g. Debian's package) as a child process on a
 * free 127.0.0.1 port, from an ini and a userlist generated into a temp dir of its own (no
 * Unix socket). It is killed when this process exits, if stop() did not stop it before.
 */
export async function startPgBouncer(options: Options): Promise<PgBouncerServer> {
  const binary = findBinary();
  const upstream = new URL(options.upstream);
  const user = decodeURIComponent(upstream.username);
  const password = decodeURIComponent(upstream.password);
  if (!user || !password) throw new Error("startPgBouncer: the upstream URL must name a user and a password");
  const adminPassword = randomBytes(12).toString("hex");
  const port = await freePort();
  const owner = process.getuid?.() === 0 ? await systemUser(RUN_AS) : undefined;

  const dir = await mkdtemp(path.join(os.tmpdir(), "pgbouncer-"));
  const ini = path.join(dir, "pgbouncer.ini");
  const userlist = path.join(dir, "userlist.txt");
  const settings: Record<string, string | number> = {
    listen_addr: "127.0.0.1",
    listen_port: port,
    unix_socket_dir: "",
    auth_type: "scram-sha-256",
    auth_file: userlist,
    admin_users: ADMIN_USER,
    pool_mode: options.poolMode ?? "transaction",
    default_pool_size: options.defaultPoolSize ?? 20,
    reserve_pool_size: options.reservePoolSize ?? 0,
    reserve_pool_timeout: options.reservePoolTimeoutSeconds ?? 5,
    max_client_conn: options.maxClientConn ?? 200,
    max_db_connections: options.maxDbConnections ?? 0,
    ...options.settings,
  };
  await writeFile(
    ini,
    [
      "[databases]",
      // Any database name: the same database on the upstream server.
      `* = host=${upstream.hostname} port=${upstream.port || 5432}`,
      "",
      "[pgbouncer]",
      ...Object.entries(settings).map(([name, value]) => `${name} = ${value}`),
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  await writeFile(userlist, `${quoted(user)} ${quoted(password)}\n${quoted(ADMIN_USER)} ${quoted(adminPassword)}\n`, { mode: 0o600 });
  // Readable by the user it runs as, and by nobody else (the userlist holds passwords).
  if (owner) for (const file of [dir, ini, userlist]) await chown(file, owner.uid, owner.gid);

  const log = options.onLog ?? (() => {});
  const recent: string[] = [];
  const child = spawn(binary, [ini], { stdio: ["ignore", "pipe", "pipe"], ...owner });
  const onOutput = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
      recent.push(line);
      recent.splice(0, recent.length - 10);
      log(line);
    }
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", onOutput);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let running = true;
  void exited.then(() => (running = false));
  const killNow = () => child.kill("SIGKILL");
  // If this process ends without stop(): no PgBouncer, and no userlist, left behind.
  const onExit = () => {
    killNow();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.off("exit", onExit);
      if (running) {
        child.kill("SIGTERM"); // immediate shutdown (SIGINT would wait for clients)
        const timer = setTimeout(killNow, STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    })());

  try {
    await waitForPort(port, () => running);
  } catch (error) {
    await stop();
    const said = recent.join(" / ") || "nothing";
    throw new Error(`PgBouncer did not start on port ${port} (${String(error instanceof Error ? error.message : error)}); it said: ${said}`);
  }

  const url = (login: string, secret: string, database: string) =>
    `postgresql://${encodeURIComponent(login)}:${encodeURIComponent(secret)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    port,
    pid: child.pid!,
    urlFor: (database) => url(user, password, database),
    adminUrl: url(ADMIN_USER, adminPassword, "pgbouncer"),
    stop,
  };
}

function findBinary(): string {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), ...SBIN_DIRS];
  const found = dirs.map((dir) => path.join(dir, "pgbouncer")).find((candidate) => existsSync(candidate));
  if (!found) {
    throw new Error(
      `pgbouncer is not installed (looked on PATH and in ${SBIN_DIRS.join(", ")}): on Debian, apt-get install -y --no-install-recommends pgbouncer`,
    );
  }
  return found;
}

/** The uid and gid of a system user, created (as embedded-postgres creates it) when missing. */
async function systemUser(name: string): Promise<{ uid: number; gid: number }> {
  const ids = async () => ({
    uid: Number((await run("id", ["-u", name])).stdout.trim()),
    gid: Number((await run("id", ["-g", name])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    try {
      await run("groupadd", ["--system", name]).catch(() => undefined); // the group may exist alone
      await run("useradd", ["--system", "--gid", name, "--no-create-home", name]);
      return await ids();
    } catch (error) {
      throw new Error(`PgBouncer refuses to run as root, and no "${name}" user could be created to run it: ${String(error)}`);
    }
  }
}

/** A userlist.txt field: double-quoted, a double quote doubled. */
function quoted(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** Resolves once something accepts connections on 127.0.0.1:port; bounded, and fails at once when the process died. */
async function waitForPort(port: number, alive: () => boolean): Promise<void> {
  for (const deadline = Date.now() + START_TIMEOUT_MS; Date.now() < deadline; ) {
    if (!alive()) throw new Error("it exited");
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listened within ${START_TIMEOUT_MS} ms`);
}
