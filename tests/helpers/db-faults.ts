import { randomBytes } from "node:crypto";
import { db } from "@/server/db";

/**
 * Faults injected into the real PostgreSQL of this test file, as triggers that refuse one
 * user's rows: the app meets the same errors a constraint, a full disk or a failover would
 * raise, through its real driver. Each fault is scoped to a user so the tests of a file can
 * run in any order; `remove()` drops it.
 */
export type DbFault = { remove(): Promise<void> };

type Options = {
  /** How many writes are refused before the fault heals by itself; default: until removed. */
  times?: number;
  /**
   * SQLSTATE of the error. The default (P0001, raise_exception) is a refusal: the database is
   * up but will not take the row. 57P01 (admin_shutdown) reads as "the database went away",
   * which the app treats like its own crash.
   */
  sqlState?: string;
};

/** Refuses INSERT and UPDATE of `table` rows whose `user_id` is `userId`. */
export function refuseRows(table: "payments" | "refunds" | "rate_limit_windows", userId: string, options: Options = {}): Promise<DbFault> {
  return installFault(table, "INSERT OR UPDATE", `NEW.user_id = '${uuid(userId)}'::uuid`, options);
}

/**
 * Fails the statement that finishes one of `userId`'s idempotency keys, as if PostgreSQL
 * went away at that moment: the request has charged and cannot record it, and its process
 * is left holding the key's lock exactly as a kill -9 between the phases would leave it.
 */
export function crashAtCompletion(userId: string, options: Omit<Options, "sqlState"> = {}): Promise<DbFault> {
  return installFault(
    "idempotency_keys",
    "UPDATE",
    `NEW.user_id = '${uuid(userId)}'::uuid AND NEW.recovery_point = 'finished' AND OLD.recovery_point <> 'finished'`,
    { ...options, sqlState: "57P01" },
  );
}

async function installFault(table: string, events: string, condition: string, options: Options): Promise<DbFault> {
  const name = `test_fault_${randomBytes(6).toString("hex")}`;
  const sqlState = options.sqlState ?? "P0001";
  if (!/^[0-9A-Z]{5}$/.test(sqlState)) throw new Error(`not a SQLSTATE: ${sqlState}`);
  // The budget lives in a sequence: nextval is not rolled back with the refused statement.
  const budget = options.times === undefined ? "" : `IF nextval('${name}') > ${Math.trunc(options.times)} THEN RETURN NEW; END IF;`;
  if (options.times !== undefined) await db().$executeRawUnsafe(`CREATE SEQUENCE ${name}`);
  await db().$executeRawUnsafe(`
    CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF ${condition} THEN
        ${budget}
        RAISE EXCEPTION 'test fault ${name}: % refused', TG_TABLE_NAME USING ERRCODE = '${sqlState}';
      END IF;
      RETURN NEW;
    END $$`);
  await db().$executeRawUnsafe(`CREATE TRIGGER ${name} BEFORE ${events} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  return {
    async remove() {
      await db().$executeRawUnsafe(`DROP TRIGGER IF EXISTS ${name} ON ${table}`);
      await db().$executeRawUnsafe(`DROP FUNCTION IF EXISTS ${name}()`);
      await db().$executeRawUnsafe(`DROP SEQUENCE IF EXISTS ${name}`);
    },
  };
}

function uuid(value: string): string {
  if (!/^[0-9a-f-]{36}$/i.test(value)) throw new Error(`not a uuid: ${value}`);
  return value;
}
