import { fingerprintSync, loadModule, normalizeSync, parseSync } from "libpg-query";

/*
 * Shard safety of one SQL statement, judged on PostgreSQL's own parse tree (libpg-query, the
 * parser of PostgreSQL 18 compiled to WASM). Pure: a statement (and the values sent with it)
 * in, findings out; `loadSqlParser()` once before the first call.
 *
 * The target is a Citus-style database: the per-user tables distributed by user_id and
 * co-located, `users` a reference table. A statement can be routed to one shard when every
 * per-user table it reads or writes is pinned to one user_id value:
 *
 * - A reference (RangeVar) to a per-user table in FROM, JOIN, USING or as the target of an
 *   UPDATE or DELETE, in the statement, a CTE or any subquery, is *restricted* when the scope
 *   that reads it carries a top-level AND conjunct (WHERE, or the ON of a join on the side
 *   the join filters) `<ref>.user_id = X`, `<ref>.user_id IN (X)` or a row comparison
 *   `(<ref>.user_id, …) = (X, …)`, X being a parameter, a
 *   constant (casts allowed), or the user_id of another restricted reference: a per-user
 *   table (a co-located join) or a CTE or subquery whose every row's user_id is restricted.
 *   Conditions under OR or NOT, `= ANY(array)`, `IS NOT DISTINCT FROM` and a filter applied
 *   outside the subquery or CTE that reads the table do not count.
 * - INSERT into a per-user table names user_id in its column list (no list: reported), and every row supplies it
 *   as such an X: VALUES with a parameter or constant; INSERT … SELECT with a selected
 *   parameter, constant or restricted reference's user_id. ON CONFLICT DO UPDATE updates the
 *   conflicting row, which has the inserted row's user_id.
 * - No UPDATE (nor ON CONFLICT DO UPDATE) of a per-user table sets user_id: a distributed
 *   database does not move rows between shards.
 * - All per-user references of the statement are tied to ONE user: the parameters and
 *   constants they are restricted by carry one value (parameters compared by the value sent
 *   with them when values are given, else by number; a NULL restricts to no row at all).
 * - A per-user table named anywhere this analysis does not follow (TRUNCATE, COPY, LOCK,
 *   MERGE, DDL…) is reported as such.
 *
 * And, separately, session state, which a pooler in transaction mode (PgBouncer) cannot
 * carry from one transaction to the next: see sessionStateFindings.
 */

export const PER_USER_TABLES: ReadonlySet<string> = new Set(["api_keys", "idempotency_keys", "payments", "refunds", "rate_limit_windows"]);
export const DISTRIBUTION_COLUMN = "user_id";

/** Loads the parser's WASM module; every other function of this module needs it loaded. */
export async function loadSqlParser(): Promise<void> {
  await loadModule();
}

/** Why one per-user reference of a statement keeps the statement from one shard. */
export type ShardFinding = {
  /** The per-user table, or several joined by `+` for a finding about the statement as a whole. */
  table: string;
  /** How the statement uses it: read, inserted, updated, deleted, or "statement". */
  role: string;
  reason: string;
};

export type StatementVerdict = {
  /** Whitespace collapsed, as sent. */
  sql: string;
  /** libpg-query's normalisation (constants replaced by $n), whitespace collapsed. */
  normalized: string;
  fingerprint: string;
  /** Per-user tables the statement references, sorted, each once. */
  perUserTables: string[];
  /** Shard findings: empty when the statement is restricted to one user (or touches no per-user table). */
  findings: ShardFinding[];
  /** Session state the statement would leave on its connection. */
  sessionFindings: string[];
  /** The user keys (parameters, constants) its per-user references are tied to. */
  userKeys: string[];
};

/** Judges one statement as sent: its text, the values sent with it, and the prepared-statement name if one was given. */
export function judgeStatement(sql: string, options: { values?: readonly unknown[]; name?: string | null } = {}): StatementVerdict {
  const collapsed = collapse(sql);
  let stmts: Json[];
  try {
    stmts = list(asObject(parseSync(sql)).stmts).map((raw) => asObject(asObject(raw).stmt));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      sql: collapsed,
      normalized: collapsed,
      fingerprint: "unparsable",
      perUserTables: [],
      findings: [{ table: "?", role: "statement", reason: `PostgreSQL's parser refuses it: ${message}` }],
      sessionFindings: [],
      userKeys: [],
    };
  }
  const analysis = new StatementAnalysis(sql, options.values);
  for (const stmt of stmts) analysis.top(stmt);
  const result = analysis.finish(stmts);
  return {
    sql: collapsed,
    normalized: collapse(normalizeSync(sql)),
    fingerprint: fingerprintSync(sql),
    perUserTables: result.tables,
    findings: result.findings,
    sessionFindings: sessionStateFindings(stmts, options.name ?? null),
    userKeys: result.userKeys,
  };
}

/**
 * Statements that leave state on the session, which PgBouncer in transaction mode hands to
 * whichever client gets the connection next (or loses): SET / RESET (SET LOCAL and SET
 * TRANSACTION are the transaction's own), set_config(…, false), PREPARE / EXECUTE /
 * DEALLOCATE, LISTEN / UNLISTEN, session advisory locks, DECLARE … WITH HOLD, temporary
 * objects, DISCARD, and any query sent as a named prepared statement (`name`).
 */
export function sessionStateFindings(stmts: readonly unknown[], name: string | null): string[] {
  const found: string[] = [];
  if (name) found.push(`sent as the named prepared statement "${name}" (protocol-level PREPARE)`);
  for (const stmt of stmts) {
    const [kind, body] = unwrap(stmt);
    switch (kind) {
      case "VariableSetStmt": {
        const variable = str(body.name) ?? "";
        if (body.is_local === true) break;
        // SET TRANSACTION … and SET TRANSACTION SNAPSHOT apply to the current transaction only.
        if (body.kind === "VAR_SET_MULTI" && (variable === "TRANSACTION" || variable === "TRANSACTION SNAPSHOT")) break;
        if (body.kind === "VAR_RESET" || body.kind === "VAR_RESET_ALL") found.push(`RESET ${variable || "ALL"} (session state)`);
        else found.push(`SET ${variable} without LOCAL (session state)`);
        break;
      }
      case "PrepareStmt":
      case "ExecuteStmt":
      case "DeallocateStmt":
        found.push(`${kind.replace(/Stmt$/, "").toUpperCase()} (prepared statements live in the session)`);
        break;
      case "ListenStmt":
      case "UnlistenStmt":
        found.push(`${kind.replace(/Stmt$/, "").toUpperCase()} (notification channels live in the session)`);
        break;
      case "DiscardStmt":
        found.push("DISCARD (resets session state another client may rely on)");
        break;
      case "DeclareCursorStmt":
        if ((num(body.options) ?? 0) & CURSOR_OPT_HOLD) found.push("DECLARE … WITH HOLD (the cursor outlives the transaction)");
        break;
      default:
        break;
    }
  }
  for (const relation of rangeVars(stmts)) {
    if (relation.relpersistence === "t") found.push(`CREATE TEMP … ${str(relation.relname)} (temporary objects live in the session)`);
  }
  walk(stmts, (kind, body) => {
    if (kind === "FuncCall") {
      const fn = list(body.funcname).map(stringValue).at(-1) ?? "";
      if (SESSION_LOCK_FUNCTIONS.has(fn)) found.push(`${fn}() (a session-level advisory lock; use the _xact_ variant)`);
      if (fn === "set_config") {
        const isLocal = list(body.args)[2];
        const [constKind, constant] = unwrap(isLocal);
        const local = constKind === "A_Const" && asObject(constant.boolval).boolval === true;
        if (!local) found.push("set_config(…, is_local) without a constant true (session state)");
      }
    }
    return true;
  });
  return found;
}

/** Whitespace collapsed to single spaces, trimmed. */
export function collapse(sql: string): string {
  return sql.replace(/\s+/g, " ").trim();
}

// ---------------------------------------------------------------- allow-list

/** A cross-user operation, named with its reason: the statements it matches may leave `tables` unrestricted. */
export type CrossUserAllowance = {
  operation: string;
  reason: string;
  /** The per-user tables the statement may read or write across users; findings on others still count. */
  tables: readonly string[];
  /** Tested against the statement as sent, whitespace collapsed (StatementVerdict.sql). */
  sql: RegExp;
};

export type AllowListOutcome = {
  /** Findings no allowance excuses. */
  findings: ShardFinding[];
  /** The allowance that matched, if one did. */
  allowance: CrossUserAllowance | null;
  /** The findings it excused. */
  excused: ShardFinding[];
};

/**
 * Applies the allow-list to one statement's findings. A statement matched by two entries is
 * an error in the list: each cross-user statement has one operation and one reason.
 */
export function applyAllowList(verdict: Pick<StatementVerdict, "sql" | "findings">, allowances: readonly CrossUserAllowance[]): AllowListOutcome {
  const matching = allowances.filter((entry) => verdict.sql.search(entry.sql) >= 0);
  if (matching.length > 1) {
    throw new Error(`allow-list entries overlap (${matching.map((m) => m.operation).join(" / ")}) on: ${verdict.sql}`);
  }
  const allowance = matching[0] ?? null;
  if (!allowance) return { findings: verdict.findings, allowance: null, excused: [] };
  const covered = (finding: ShardFinding) => finding.table.split("+").every((table) => allowance.tables.includes(table));
  return { findings: verdict.findings.filter((f) => !covered(f)), allowance, excused: verdict.findings.filter(covered) };
}

// ---------------------------------------------------------------- the analysis

type Json = Record<string, unknown>;

const CURSOR_OPT_HOLD = 0x0020;

const SESSION_LOCK_FUNCTIONS: ReadonlySet<string> = new Set([
  "pg_advisory_lock",
  "pg_advisory_lock_shared",
  "pg_try_advisory_lock",
  "pg_try_advisory_lock_shared",
  "pg_advisory_unlock",
  "pg_advisory_unlock_shared",
  "pg_advisory_unlock_all",
]);

/** Where a user_id value comes from: a parameter or constant, or the user_id column of a node. */
type Source = { kind: "key"; canonical: string; label: string } | { kind: "node"; node: UserNode };

/** A per-user table reference: restricted when any of its sources is. */
type RefNode = {
  kind: "ref";
  table: string;
  alias: string;
  role: "read" | "updated" | "deleted";
  sources: Source[];
  /** Columns this reference is filtered on by top-level equalities (for the report). */
  filteredOn: Set<string>;
  restricted: boolean;
  keys: Map<string, string>;
};

/** Rows whose user_id comes from every one of `arms` (INSERT rows, UNION arms): restricted when all are. */
type ArmsNode = {
  kind: "arms";
  /** The table inserted into, or null for a CTE's or subquery's output. */
  table: string | null;
  label: string;
  arms: Array<Source | null>;
  problems: string[];
  restricted: boolean;
  keys: Map<string, string>;
};

type UserNode = RefNode | ArmsNode;

type Item = {
  refname: string;
  schemaname: string | null;
  /** What `<refname>.user_id` stands for; undefined when the item has no user_id column. */
  userId: Source | null | undefined;
  /** The per-user reference itself, for an item that is one. */
  ref: RefNode | null;
};

type Cte = { userId: Source | null | undefined };

type OutputColumn = { src: Source | null; location: number };

/** What a query, or a DML statement's RETURNING, yields: user_id (undefined: no such column) and the columns by position (null once a * hides them). */
type Output = { userId: Source | null | undefined; positional: OutputColumn[] | null };

class Scope {
  readonly items: Item[] = [];
  readonly ctes = new Map<string, Cte>();
  constructor(readonly parent: Scope | null) {}

  cte(name: string): Cte | undefined {
    return this.ctes.get(name) ?? this.parent?.cte(name);
  }
}

class StatementAnalysis {
  private readonly refs: RefNode[] = [];
  private readonly arms: ArmsNode[] = [];
  private readonly handled = new Set<object>();
  private readonly findings: ShardFinding[] = [];
  private readonly sublinks = new Map<object, Output[]>();

  constructor(
    private readonly sql: string,
    private readonly values: readonly unknown[] | undefined,
  ) {}

  top(stmt: Json): void {
    this.statement(stmt, new Scope(null));
  }

  finish(stmts: readonly unknown[]): { findings: ShardFinding[]; tables: string[]; userKeys: string[] } {
    this.solve();
    const tables = new Set<string>();
    for (const relation of rangeVars(stmts)) {
      const table = str(relation.relname) ?? "";
      if (!PER_USER_TABLES.has(table) || this.handled.has(relation)) continue;
      tables.add(table);
      this.findings.push({ table, role: "statement", reason: `named in a statement or clause this rule does not analyse (${stmtKinds(stmts)})` });
    }
    for (const ref of this.refs) {
      tables.add(ref.table);
      if (!ref.restricted) this.findings.push({ table: ref.table, role: ref.role, reason: this.whyNot(ref) });
    }
    const inserted = this.arms.filter((node) => node.table !== null);
    for (const node of inserted) {
      tables.add(node.table!);
      if (!node.restricted) this.findings.push({ table: node.table!, role: "inserted", reason: this.whyNotArms(node) });
    }
    const tied = [...this.refs, ...inserted].filter((node) => node.restricted);
    const keys = new Map<string, string>();
    for (const node of tied) for (const [canonical, label] of node.keys) if (canonical !== NULL_KEY) keys.set(canonical, label);
    if (keys.size > 1) {
      const described = tied.map((node) => `${node.kind === "ref" ? refName(node) : `${node.table} (inserted)`} → ${[...node.keys.values()].join(", ")}`);
      this.findings.push({
        table: [...new Set(tied.map((node) => (node.kind === "ref" ? node.table : node.table!)))].sort().join("+"),
        role: "statement",
        reason: `its per-user references are tied to ${keys.size} different user_id values, not one: ${described.join("; ")}`,
      });
    }
    return { findings: this.findings, tables: [...tables].sort(), userKeys: [...new Set(keys.values())] };
  }

  // ------------------------------------------------------------ statements

  /** Any statement kind; the outputs (RETURNING, select list) for a CTE. */
  private statement(stmt: unknown, scope: Scope): Output[] {
    const [kind, body] = unwrap(stmt);
    switch (kind) {
      case "SelectStmt":
        return this.query(body, scope);
      case "InsertStmt":
        return [this.insert(body, scope)];
      case "UpdateStmt":
        return [this.update(body, scope)];
      case "DeleteStmt":
        return [this.delete(body, scope)];
      default:
        return [{ userId: undefined, positional: null }];
    }
  }

  /** A SELECT, or a set operation: one output per arm. */
  private query(body: Json, parent: Scope): Output[] {
    if (body.op !== undefined && body.op !== "SETOP_NONE") {
      const scope = new Scope(parent);
      this.withClause(body.withClause, scope);
      // The arms of a set operation are SelectStmt bodies, not wrapped nodes.
      const outputs = [...this.query(asObject(body.larg), scope), ...this.query(asObject(body.rarg), scope)];
      this.expressions([body.sortClause, body.limitCount, body.limitOffset], scope);
      return outputs;
    }
    const scope = new Scope(parent);
    this.withClause(body.withClause, scope);
    for (const item of list(body.fromClause)) this.fromItem(item, scope);
    this.conjuncts(body.whereClause, scope, refsOf(scope.items));
    this.expressions(
      [body.targetList, body.whereClause, body.havingClause, body.groupClause, body.sortClause, body.limitCount, body.limitOffset, body.distinctClause, body.windowClause, body.valuesLists],
      scope,
    );
    this.lockingClause(body.lockingClause);
    if (body.valuesLists !== undefined) {
      const first = list(asObject(unwrap(list(body.valuesLists)[0])[1]).items);
      return [{ userId: undefined, positional: first.map((value) => ({ src: this.source(value, scope), location: minLocation(value) })) }];
    }
    return [this.outputOf(list(body.targetList), scope)];
  }

  private insert(body: Json, parent: Scope): Output {
    const scope = new Scope(parent);
    this.withClause(body.withClause, scope);
    const relation = asObject(body.relation);
    this.handled.add(relation);
    const table = str(relation.relname) ?? "";
    const alias = str(asObject(relation.alias).aliasname) ?? table;
    const perUser = isPerUser(relation, scope);
    const node: ArmsNode | null = perUser ? { kind: "arms", table, label: `${table} (inserted)`, arms: [], problems: [], restricted: false, keys: new Map() } : null;
    if (node) this.arms.push(node);

    const columns = list(body.cols).map((col) => str(asObject(unwrap(col)[1]).name));
    const at = columns.indexOf(DISTRIBUTION_COLUMN);
    const [selectKind, select] = unwrap(body.selectStmt);
    if (node && columns.length === 0) node.problems.push("INSERT without a column list: user_id must be named and supplied");
    else if (node && at < 0) node.problems.push("INSERT does not supply user_id");
    if (selectKind !== "SelectStmt") {
      node?.problems.push("INSERT … DEFAULT VALUES does not supply user_id");
    } else if (select.valuesLists !== undefined && (select.op === undefined || select.op === "SETOP_NONE")) {
      // VALUES rows see neither the target nor a FROM: the statement's CTEs and outer scope only.
      const rows = list(select.valuesLists).map((row) => list(asObject(unwrap(row)[1]).items));
      this.expressions([select.valuesLists], scope);
      rows.forEach((row, index) => {
        if (!node || at < 0) return;
        const value = row[at];
        const src = value === undefined ? null : this.source(value, scope);
        node.arms.push(src);
        if (!src) node.problems.push(`VALUES row ${index + 1} supplies user_id as ${this.snippet(value)}, not a parameter, a constant or a restricted reference's user_id`);
      });
    } else {
      for (const output of this.query(select, scope)) {
        if (!node || at < 0) continue;
        const column = output.positional?.[at];
        if (!output.positional) {
          node.problems.push("INSERT … SELECT with a * in its select list: cannot tell which column is user_id");
          node.arms.push(null);
        } else if (!column) {
          node.problems.push("INSERT … SELECT selects fewer columns than it inserts");
          node.arms.push(null);
        } else {
          node.arms.push(column.src);
          if (!column.src) {
            node.problems.push(`INSERT … SELECT takes user_id from ${this.snippetAt(column.location)}, not a parameter, a constant or a restricted reference's user_id`);
          }
        }
      }
    }

    // ON CONFLICT and RETURNING see the target row (and EXCLUDED), whose user is the inserted row's.
    const target: Source | null = node ? { kind: "node", node } : null;
    scope.items.push({ refname: alias, schemaname: str(relation.schemaname) ?? null, userId: perUser ? target : undefined, ref: null });
    const conflict = asObject(body.onConflictClause);
    if (conflict.action === "ONCONFLICT_UPDATE") {
      scope.items.push({ refname: "excluded", schemaname: null, userId: perUser ? target : undefined, ref: null });
      if (perUser) this.noUserIdAssignment(conflict.targetList, table);
      this.expressions([conflict.targetList, conflict.whereClause], scope);
    }
    this.expressions([asObject(conflict.infer).whereClause], scope);
    const returning = returningOf(body);
    this.expressions([returning], scope);
    return this.outputOf(returning, scope);
  }

  private update(body: Json, parent: Scope): Output {
    const scope = new Scope(parent);
    this.withClause(body.withClause, scope);
    const target = this.fromItem({ RangeVar: body.relation }, scope, "updated");
    for (const item of list(body.fromClause)) this.fromItem(item, scope);
    this.conjuncts(body.whereClause, scope, refsOf(scope.items));
    if (target[0]?.ref) this.noUserIdAssignment(body.targetList, target[0].ref.table);
    const returning = returningOf(body);
    this.expressions([body.targetList, body.whereClause, returning], scope);
    return this.outputOf(returning, scope);
  }

  private delete(body: Json, parent: Scope): Output {
    const scope = new Scope(parent);
    this.withClause(body.withClause, scope);
    this.fromItem({ RangeVar: body.relation }, scope, "deleted");
    for (const item of list(body.usingClause)) this.fromItem(item, scope);
    this.conjuncts(body.whereClause, scope, refsOf(scope.items));
    const returning = returningOf(body);
    this.expressions([body.whereClause, returning], scope);
    return this.outputOf(returning, scope);
  }

  private withClause(clause: unknown, scope: Scope): void {
    const withBody = asObject(clause);
    const recursive = withBody.recursive === true;
    const ctes = list(withBody.ctes).map((cte) => asObject(unwrap(cte)[1]));
    // A recursive CTE refers to itself: as far as this analysis goes, with an unknown user_id.
    if (recursive) for (const cte of ctes) scope.ctes.set(str(cte.ctename) ?? "", { userId: null });
    for (const cte of ctes) {
      const name = str(cte.ctename) ?? "";
      const outputs = this.statement(cte.ctequery, scope);
      scope.ctes.set(name, this.derived(outputs, name, list(cte.aliascolnames).map(stringValue)));
    }
  }

  /** A CTE's or subquery's user_id: an arms node over its outputs (one per UNION arm). */
  private derived(outputs: Output[], label: string, renamed: string[]): Cte {
    let arms: Array<Source | null | undefined>;
    if (renamed.length > 0) {
      const at = renamed.indexOf(DISTRIBUTION_COLUMN);
      if (at < 0) return { userId: undefined };
      arms = outputs.map((output) => output.positional?.[at]?.src ?? null);
    } else {
      arms = outputs.map((output) => output.userId);
      if (arms.every((arm) => arm === undefined)) return { userId: undefined };
    }
    const node: ArmsNode = { kind: "arms", table: null, label, arms: arms.map((arm) => arm ?? null), problems: [], restricted: false, keys: new Map() };
    this.arms.push(node);
    return { userId: { kind: "node", node } };
  }

  // ------------------------------------------------------------ FROM

  /** Registers the items of one FROM entry in `scope`; returns them. */
  private fromItem(entry: unknown, scope: Scope, role: RefNode["role"] = "read"): Item[] {
    const [kind, body] = unwrap(entry);
    switch (kind) {
      case "RangeVar": {
        this.handled.add(body);
        const relname = str(body.relname) ?? "";
        const schemaname = str(body.schemaname) ?? null;
        const refname = str(asObject(body.alias).aliasname) ?? relname;
        const cte = schemaname === null ? scope.cte(relname) : undefined;
        let item: Item;
        if (cte) {
          item = { refname, schemaname: null, userId: cte.userId, ref: null };
        } else if (isPerUser(body, scope)) {
          const ref: RefNode = { kind: "ref", table: relname, alias: refname, role, sources: [], filteredOn: new Set(), restricted: false, keys: new Map() };
          this.refs.push(ref);
          item = { refname, schemaname, userId: { kind: "node", node: ref }, ref };
        } else {
          item = { refname, schemaname, userId: undefined, ref: null };
        }
        scope.items.push(item);
        return [item];
      }
      case "RangeSubselect": {
        // A LATERAL subquery sees the items to its left; another one only the enclosing query's.
        let sees = scope;
        if (body.lateral !== true) {
          sees = new Scope(scope.parent);
          for (const [name, cte] of scope.ctes) sees.ctes.set(name, cte);
        }
        const alias = str(asObject(body.alias).aliasname) ?? "subquery";
        const outputs = this.query(asObject(unwrap(body.subquery)[1]), sees);
        const derived = this.derived(outputs, alias, list(asObject(body.alias).colnames).map(stringValue));
        const item: Item = { refname: alias, schemaname: null, userId: derived.userId, ref: null };
        scope.items.push(item);
        return [item];
      }
      case "JoinExpr": {
        const left = this.fromItem(body.larg, scope);
        const right = this.fromItem(body.rarg, scope);
        // The ON of an outer join filters only the side it may null out.
        const filtered =
          body.jointype === "JOIN_LEFT" ? right : body.jointype === "JOIN_RIGHT" ? left : body.jointype === "JOIN_FULL" ? [] : [...left, ...right];
        const using = list(body.usingClause).map(stringValue);
        if (using.includes(DISTRIBUTION_COLUMN)) {
          const [l] = left.filter((item) => item.userId !== undefined);
          const [r] = right.filter((item) => item.userId !== undefined);
          if (l && r) this.equate(l.userId ?? null, r.userId ?? null, refsOf(filtered));
        }
        this.conjuncts(body.quals, scope, refsOf(filtered));
        this.expressions([body.quals], scope);
        return [...left, ...right];
      }
      case "RangeFunction": {
        this.expressions([body.functions], scope);
        const item: Item = { refname: str(asObject(body.alias).aliasname) ?? "function", schemaname: null, userId: undefined, ref: null };
        scope.items.push(item);
        return [item];
      }
      default: {
        // Anything else (TABLESAMPLE, XMLTABLE, JSON_TABLE…): its per-user tables are left for finish() to report.
        const item: Item = { refname: str(asObject(body.alias).aliasname) ?? kind, schemaname: null, userId: undefined, ref: null };
        scope.items.push(item);
        return [item];
      }
    }
  }

  private lockingClause(clause: unknown): void {
    for (const relation of rangeVars(clause)) this.handled.add(relation);
  }

  // ------------------------------------------------------------ conditions

  /** Top-level AND conjuncts `x = y` and `x IN (y)` of `where`, restricting the refs in `filtered`. */
  private conjuncts(where: unknown, scope: Scope, filtered: Set<RefNode>): void {
    for (const atom of andConjuncts(where)) {
      const [kind, expr] = unwrap(atom);
      if (kind !== "A_Expr") continue;
      this.noteFilter(expr.lexpr, scope, filtered);
      this.noteFilter(expr.rexpr, scope, filtered);
      if (list(expr.name).map(stringValue).join(".") !== "=") continue;
      let right: unknown;
      if (expr.kind === "AEXPR_OP") right = expr.rexpr;
      else if (expr.kind === "AEXPR_IN") {
        const items = list(asObject(unwrap(expr.rexpr)[1]).items);
        if (items.length === 1) right = items[0];
      }
      if (right !== undefined) this.equatePair(expr.lexpr, right, scope, filtered);
    }
  }

  /** `x = y`, or row-wise `(a, b) = ($1, $2)`, which is `a = $1 AND b = $2`. */
  private equatePair(left: unknown, right: unknown, scope: Scope, filtered: Set<RefNode>): void {
    const [leftKind, leftRow] = unwrap(left);
    const [rightKind, rightRow] = unwrap(right);
    if (leftKind === "RowExpr" && rightKind === "RowExpr") {
      const lefts = list(leftRow.args);
      const rights = list(rightRow.args);
      if (lefts.length === rights.length) lefts.forEach((value, index) => this.equatePair(value, rights[index], scope, filtered));
      return;
    }
    this.equate(this.source(left, scope), this.source(right, scope), filtered);
  }

  /** `a = b` on user_id: each side that is a filtered reference is restricted by the other. */
  private equate(a: Source | null, b: Source | null, filtered: Set<RefNode>): void {
    if (a?.kind === "node" && a.node.kind === "ref" && filtered.has(a.node) && b) a.node.sources.push(b);
    if (b?.kind === "node" && b.node.kind === "ref" && filtered.has(b.node) && a) b.node.sources.push(a);
  }

  /** For the report: which columns of a reference its conditions compare. */
  private noteFilter(expr: unknown, scope: Scope, filtered: Set<RefNode>): void {
    const [kind, body] = unwrap(expr);
    if (kind === "TypeCast") return this.noteFilter(body.arg, scope, filtered);
    if (kind === "List") return list(body.items).forEach((item) => this.noteFilter(item, scope, filtered));
    if (kind === "RowExpr") return list(body.args).forEach((item) => this.noteFilter(item, scope, filtered));
    if (kind !== "ColumnRef") return;
    const fields = list(body.fields).map(stringValue);
    const column = fields.at(-1) ?? "";
    let item: Item | undefined;
    if (fields.length > 1) item = this.lookup(fields, scope);
    else {
      const refs = scope.items.filter((candidate) => candidate.ref);
      if (refs.length === 1) item = refs[0];
    }
    if (item?.ref && filtered.has(item.ref)) item.ref.filteredOn.add(column);
  }

  // ------------------------------------------------------------ values

  /** Where the value of `expr` comes from, when it can be a user_id: a parameter, a constant, a user_id column. */
  private source(expr: unknown, scope: Scope): Source | null {
    const [kind, body] = unwrap(expr);
    switch (kind) {
      case "TypeCast":
        return this.source(body.arg, scope);
      case "ParamRef": {
        const number = num(body.number) ?? 0;
        return { kind: "key", canonical: this.paramKey(number), label: `$${number}` };
      }
      case "A_Const":
        return constKey(body);
      case "ColumnRef": {
        const fields = list(body.fields).map(stringValue);
        if (fields.at(-1) !== DISTRIBUTION_COLUMN) return null;
        if (fields.length > 1) return this.lookup(fields, scope)?.userId ?? null;
        for (let level: Scope | null = scope; level; level = level.parent) {
          const candidates = level.items.filter((item) => item.userId !== undefined);
          if (candidates.length === 1) return candidates[0]!.userId ?? null;
          if (candidates.length > 1) return null; // ambiguous: PostgreSQL would refuse it
        }
        return null;
      }
      case "SubLink": {
        if (body.subLinkType !== "EXPR_SUBLINK") return null;
        const outputs = this.sublink(body, scope);
        const arms = outputs.map((output) => output.positional?.[0]?.src ?? null);
        const node: ArmsNode = { kind: "arms", table: null, label: "(scalar subquery)", arms, problems: [], restricted: false, keys: new Map() };
        this.arms.push(node);
        return { kind: "node", node };
      }
      default:
        return null;
    }
  }

  private paramKey(number: number): string {
    if (!this.values) return `param:$${number}`;
    return valueKey(this.values[number - 1]);
  }

  /** The item a qualified column reference names, innermost scope first. */
  private lookup(fields: string[], scope: Scope): Item | undefined {
    const relation = fields.at(-2);
    const schema = fields.length > 2 ? fields.at(-3)! : null;
    for (let level: Scope | null = scope; level; level = level.parent) {
      const found = level.items.find(
        (item) => item.refname === relation && (schema === null || item.schemaname === schema || (item.schemaname === null && schema === "public")),
      );
      if (found) return found;
    }
    return undefined;
  }

  /** The select list (or RETURNING) as an output: user_id, and the columns by position. */
  private outputOf(targets: unknown[], scope: Scope): Output {
    const output: Output = { userId: undefined, positional: [] };
    for (const target of targets) {
      const res = asObject(unwrap(target)[1]);
      const [valueKind, value] = unwrap(res.val);
      const fields = valueKind === "ColumnRef" ? list(value.fields) : [];
      if (fields.length > 0 && unwrap(fields.at(-1))[0] === "A_Star") {
        output.positional = null;
        const qualifier = fields.length > 1 ? stringValue(fields.at(-2)) : null;
        const expanded = qualifier ? [this.lookup(fields.map(stringValue), scope)].filter((item) => item !== undefined) : scope.items;
        const withUserId = expanded.filter((item) => item.userId !== undefined);
        if (output.userId === undefined && withUserId.length > 0) output.userId = withUserId.length === 1 ? (withUserId[0]!.userId ?? null) : null;
        continue;
      }
      const name = str(res.name) ?? (fields.length > 0 ? stringValue(fields.at(-1)) : null);
      const src = this.source(res.val, scope);
      output.positional?.push({ src, location: minLocation(res.val) });
      if (name === DISTRIBUTION_COLUMN && output.userId === undefined) output.userId = src;
    }
    return output;
  }

  // ------------------------------------------------------------ expressions

  /** Finds the subqueries in expressions (WHERE, select lists, SET, RETURNING…) and analyses each with `scope` as its outer scope. */
  private expressions(parts: unknown[], scope: Scope): void {
    walk(parts, (kind, body) => {
      if (kind !== "SubLink") return true;
      this.sublink(body, scope);
      this.expressions([body.testexpr], scope);
      return false;
    });
  }

  private sublink(body: Json, scope: Scope): Output[] {
    const known = this.sublinks.get(body);
    if (known) return known;
    const outputs = this.statement(body.subselect, scope);
    this.sublinks.set(body, outputs);
    return outputs;
  }

  private noUserIdAssignment(targets: unknown, table: string): void {
    for (const target of list(targets)) {
      if (str(asObject(unwrap(target)[1]).name) === DISTRIBUTION_COLUMN) {
        this.findings.push({ table, role: "updated", reason: "sets user_id, the distribution column: rows cannot move between shards" });
      }
    }
  }

  // ------------------------------------------------------------ solving and explaining

  /** Least fixed point: restricted only when derivable from parameters and constants. */
  private solve(): void {
    const restricted = (src: Source | null) => src !== null && (src.kind === "key" || src.node.restricted);
    const keysOf = (src: Source): Array<[string, string]> => (src.kind === "key" ? [[src.canonical, src.label]] : [...src.node.keys]);
    for (let changed = true; changed; ) {
      changed = false;
      for (const node of [...this.refs, ...this.arms]) {
        const sources = node.kind === "ref" ? node.sources : node.arms;
        const now =
          node.kind === "ref"
            ? node.sources.some(restricted)
            : node.problems.length === 0 && node.arms.length > 0 && node.arms.every(restricted);
        const before = node.keys.size;
        if (now) for (const src of sources) if (restricted(src)) for (const [canonical, label] of keysOf(src!)) node.keys.set(canonical, label);
        if (now !== node.restricted || node.keys.size !== before) changed = true;
        node.restricted = now;
      }
    }
  }

  private whyNot(ref: RefNode): string {
    const filters = [...ref.filteredOn].filter((column) => column !== DISTRIBUTION_COLUMN);
    const filtered = ref.filteredOn.has(DISTRIBUTION_COLUMN)
      ? `; its user_id is compared, but not by = or IN with one value${filters.length > 0 ? `; also filtered on ${filters.join(", ")}` : ""}`
      : filters.length > 0
        ? `; filtered on ${filters.join(", ")} only`
        : "; no top-level condition filters it";
    if (ref.sources.length > 0) {
      return `${ref.alias}.user_id is equated only with ${ref.sources.map(describe).join(", ")}, not restricted to one user itself${filtered}`;
    }
    return `no top-level AND conjunct ${ref.alias}.user_id = <parameter | constant | restricted reference's user_id> in its WHERE or JOIN … ON${filtered}`;
  }

  private whyNotArms(node: ArmsNode): string {
    if (node.problems.length > 0) return node.problems.join("; ");
    const loose = node.arms.filter((arm) => arm === null || (arm.kind === "node" && !arm.node.restricted));
    return `user_id comes from ${loose.map((arm) => (arm ? describe(arm) : "an unknown value")).join(", ")}, not restricted to one user`;
  }

  private snippet(expr: unknown): string {
    return this.snippetAt(minLocation(expr));
  }

  /** The expression starting at `location`, up to the next top-level comma or closing parenthesis. */
  private snippetAt(location: number): string {
    if (location < 0) return "an expression";
    let depth = 0;
    let quoted: string | null = null;
    let end = location;
    for (; end < this.sql.length && end - location < 120; end += 1) {
      const char = this.sql[end]!;
      if (quoted) {
        if (char === quoted) quoted = null;
        continue;
      }
      if (char === "'" || char === '"') quoted = char;
      else if (char === "(") depth += 1;
      else if (char === ")") {
        if (depth === 0) break;
        depth -= 1;
      } else if (depth === 0 && (char === "," || char === "\n" || /^\s(FROM|AS|WHERE)\s/i.test(this.sql.slice(end, end + 7)))) break;
    }
    return collapse(this.sql.slice(location, end));
  }
}

const NULL_KEY = "null";

function describe(src: Source): string {
  if (src.kind === "key") return src.label;
  return src.node.kind === "ref" ? refName(src.node) + ".user_id" : `${src.node.label}.user_id`;
}

function refName(ref: RefNode): string {
  return ref.alias === ref.table ? ref.table : `${ref.alias} (${ref.table})`;
}

function isPerUser(relation: Json, scope: Scope): boolean {
  const relname = str(relation.relname) ?? "";
  const schemaname = str(relation.schemaname) ?? null;
  if (schemaname === null && scope.cte(relname)) return false;
  return PER_USER_TABLES.has(relname) && (schemaname === null || schemaname === "public");
}

function refsOf(items: readonly Item[]): Set<RefNode> {
  return new Set(items.flatMap((item) => (item.ref ? [item.ref] : [])));
}

function returningOf(body: Json): unknown[] {
  // PostgreSQL 18 wraps the list (RETURNING OLD/NEW); earlier versions had returningList.
  return list(asObject(body.returningClause).exprs ?? body.returningList);
}

function andConjuncts(expr: unknown): unknown[] {
  const [kind, body] = unwrap(expr);
  if (kind === "BoolExpr" && body.boolop === "AND_EXPR") return list(body.args).flatMap(andConjuncts);
  return expr === undefined ? [] : [expr];
}

function constKey(body: Json): Source {
  if (body.isnull === true) return { kind: "key", canonical: NULL_KEY, label: "NULL" };
  for (const field of ["sval", "ival", "fval", "bsval", "boolval"]) {
    if (body[field] !== undefined) {
      const value = Object.values(asObject(body[field]))[0] ?? (field === "ival" ? 0 : false);
      return { kind: "key", canonical: `value:${String(value)}`, label: field === "sval" ? `'${String(value)}'` : String(value) };
    }
  }
  return { kind: "key", canonical: `const:${JSON.stringify(body)}`, label: "a constant" };
}

function valueKey(value: unknown): string {
  if (value === null || value === undefined) return NULL_KEY;
  if (value instanceof Date) return `value:${value.toISOString()}`;
  if (Buffer.isBuffer(value)) return `value:\\x${value.toString("hex")}`;
  if (typeof value === "object") return `value:${JSON.stringify(value)}`;
  return `value:${String(value)}`;
}

function stmtKinds(stmts: readonly unknown[]): string {
  return stmts.map((stmt) => unwrap(stmt)[0]).join(", ");
}

// ---------------------------------------------------------------- parse-tree access

function asObject(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

/** `{ Kind: body }` → [Kind, body]; anything else → ["", {}]. */
function unwrap(node: unknown): [string, Json] {
  const object = asObject(node);
  const keys = Object.keys(object);
  if (keys.length === 1 && /^[A-Z]/.test(keys[0]!)) return [keys[0]!, asObject(object[keys[0]!])];
  return ["", {}];
}

function stringValue(node: unknown): string {
  const [kind, body] = unwrap(node);
  if (kind === "String") return str(body.sval) ?? "";
  if (kind === "A_Star") return "*";
  return "";
}

/** Visits every `{ Kind: body }` node under `root`; `visit` returns false to skip a node's children. */
function walk(root: unknown, visit: (kind: string, body: Json) => boolean): void {
  if (Array.isArray(root)) {
    for (const element of root) walk(element, visit);
    return;
  }
  if (typeof root !== "object" || root === null) return;
  const [kind, body] = unwrap(root);
  if (kind) {
    if (visit(kind, body)) for (const value of Object.values(body)) walk(value, visit);
    return;
  }
  for (const value of Object.values(root as Json)) walk(value, visit);
}

/** Every RangeVar under `root`, wrapped (`{ RangeVar: … }`) or not (the `relation` of INSERT, UPDATE, COPY, CREATE…). */
function rangeVars(root: unknown): Json[] {
  const found: Json[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== "object" || value === null) return;
    const object = value as Json;
    if (typeof object.relname === "string" && typeof object.relpersistence === "string") found.push(object);
    Object.values(object).forEach(visit);
  };
  visit(root);
  return found;
}

function minLocation(node: unknown): number {
  let least = -1;
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== "object" || value === null) return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === "location" && typeof inner === "number" && inner >= 0 && (least < 0 || inner < least)) least = inner;
      else visit(inner);
    }
  };
  visit(node);
  return least;
}
