import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { chaosContext, chaosUser, instanceUrls } from "./chaos-context";
import { emulator } from "./emulator-admin";
import { keepAliveAgent, send, type HttpAnswer } from "./http-client";
import { paymentRequest, VISA_PAYMENT } from "./payments-client";
import { ofAppDatabase, saidTooManyClients, showOnce, watchPool, type PoolPeaks } from "./pgbouncer-watch";
import { sql } from "./sql";
import { trackScenario } from "./summary";

const REQUESTS = 500;
/** Per instance: 100 concurrent sockets in all over two instances, 200 over four. */
const SOCKETS_PER_INSTANCE = 50;
/** Stripe answers this slowly, so the first request is still in flight while the storm lands. */
const STRIPE_LATENCY_MS = 300;

describe("1. same-key storm", () => {
  const { topology } = chaosContext();
  const urls = instanceUrls();
  /** What the storm left for the PgBouncer checks below: its answers, and what the pooler held meanwhile. */
  const storm: { answers: HttpAnswer[]; peaks?: PoolPeaks } = { answers: [] };

  afterEach(async () => {
    await emulator.resetFaults();
  });

  it(`${REQUESTS} concurrent requests with one key over ${urls.length} instances: one PaymentIntent, one Payment, no 5xx`, async () => {
    const tally = trackScenario(`1. same-key storm (${REQUESTS} requests, 1 key)`);
    const user = chaosUser("storm");
    const key = `storm-${randomUUID()}`;
    await emulator.setFaults({ latencyMs: STRIPE_LATENCY_MS });

    const agents = urls.map(() => keepAliveAgent(SOCKETS_PER_INSTANCE));
    const plan = Array.from({ length: REQUESTS }, (_, i) => ({
      instance: urls[i % urls.length]!,
      agent: agents[i % urls.length]!,
      // A third of the clients would rather wait for the first request than get a 409.
      waits: i % 3 === 0,
    }));
    const watch = topology.pgbouncer ? await watchPool(topology.pgbouncer.adminUrl, chaosContext().databaseUrl) : undefined;
    const answers = await Promise.all(
      plan.map(({ instance, agent, waits }) =>
        send(instance, paymentRequest(user.apiKey, key, VISA_PAYMENT, waits ? { Prefer: "wait=10" } : {}), agent),
      ),
    ).finally(async () => {
      storm.peaks = await watch?.stop();
    });
    storm.answers = answers;
    agents.forEach((agent) => agent.destroy());
    answers.forEach((answer) => tally.count(answer));

    const byStatus = (status: number) => answers.filter((answer) => answer.status === status);
    expect(answers.filter((answer) => answer.status !== 201 && answer.status !== 409)).toEqual([]);
    const created = byStatus(201);
    expect(new Set(created.map((answer) => answer.body)).size).toBe(1); // the stored body, byte for byte
    expect(created.filter((answer) => answer.headers["idempotent-replayed"] !== "true")).toHaveLength(1);
    expect(new Set(created.map((answer) => answer.headers.location)).size).toBe(1);
    for (const conflict of byStatus(409)) {
      expect(conflict.headers["content-type"]).toBe("application/problem+json");
      expect(conflict.headers["retry-after"]).toMatch(/^\d+$/);
      expect(JSON.parse(conflict.body)).toMatchObject({ code: "idempotency_request_in_progress" });
    }
    // Every waiting client got the replay, not a 409.
    expect(plan.filter((step, i) => step.waits && answers[i]!.status !== 201)).toEqual([]);

    const payment = JSON.parse(created[0]!.body) as { id: string; paymentIntentId: string };
    const intents = await emulator.paymentIntents({ user_id: user.id });
    tally.paymentIntentsExpected = 1;
    tally.paymentIntentsCreated = intents.length;
    expect(intents.map((intent) => intent.id)).toEqual([payment.paymentIntentId]);
    const payments = await sql<{ id: string; stripe_payment_intent_id: string }>(
      "SELECT id::text, stripe_payment_intent_id FROM payments WHERE user_id = $1",
      [user.id],
    );
    expect(payments).toEqual([{ id: payment.id, stripe_payment_intent_id: payment.paymentIntentId }]);
    const keys = await sql("SELECT recovery_point::text, lock_token FROM idempotency_keys WHERE user_id = $1", [user.id]);
    expect(keys).toEqual([{ recovery_point: "finished", lock_token: null }]);
  });

  // Only where there is a PgBouncer: a test that is defined but skipped counts as a failure in CI.
  if (topology.pgbouncer) {
    const { pgbouncer, postgresMaxConnections, poolSizePerInstance } = topology;
    it(
      `through PgBouncer: the ${urls.length} instances' ${urls.length} × ${poolSizePerInstance} client connections exceeded ` +
        `max_connections (${postgresMaxConnections}), PostgreSQL saw at most ${pgbouncer.serverPoolSize}, and never said "too many clients"`,
      async () => {
        const [setting] = await sql<{ max_connections: string }>("SHOW max_connections");
        expect(Number(setting!.max_connections)).toBe(postgresMaxConnections);

        // While the storm ran: more clients at PgBouncer than PostgreSQL would have accepted,
        // and no more server connections (nor PostgreSQL backends) than PgBouncer's pool.
        const peaks = storm.peaks;
        expect(peaks?.samples ?? 0, "no sample of SHOW POOLS was taken during the storm").toBeGreaterThan(0);
        expect(peaks!.clients).toBeGreaterThan(postgresMaxConnections);
        expect(peaks!.clients).toBeLessThanOrEqual(urls.length * poolSizePerInstance);
        expect(peaks!.servers).toBeGreaterThan(0);
        expect(peaks!.servers).toBeLessThanOrEqual(pgbouncer.serverPoolSize);
        expect(peaks!.postgresBackends).toBeLessThanOrEqual(pgbouncer.serverPoolSize);

        // After it: the instances' pools still hold their connections (idle for less than
        // their 30 s timeout), each one a client of PgBouncer.
        const clients = ofAppDatabase(await showOnce(pgbouncer.adminUrl, "CLIENTS"));
        const servers = ofAppDatabase(await showOnce(pgbouncer.adminUrl, "SERVERS"));
        const [stats] = ofAppDatabase(await showOnce(pgbouncer.adminUrl, "STATS"));
        expect(clients.length).toBeGreaterThan(postgresMaxConnections);
        expect(servers.length).toBeLessThanOrEqual(pgbouncer.serverPoolSize);
        process.stdout.write(
          `[chaos pgbouncer] storm: peak ${peaks!.clients} client connections (${peaks!.waiting} waiting), ` +
            `${peaks!.servers} server connections, ${peaks!.postgresBackends} PostgreSQL backends over ${peaks!.samples} samples; ` +
            `after: SHOW CLIENTS ${clients.length}, SHOW SERVERS ${servers.length}; ` +
            `SHOW STATS ${stats?.total_xact_count} transactions, ${stats?.total_query_count} queries, ` +
            `${Math.round(Number(stats?.total_wait_time ?? 0) / 1000)} ms waited for a server in all\n`,
        );

        // PostgreSQL never refused a connection: not in its log, PgBouncer's or an instance's, nor in any answer.
        expect(saidTooManyClients(chaosContext().logFiles)).toEqual([]);
        expect(storm.answers.filter((answer) => /too many clients/i.test(answer.body))).toEqual([]);
      },
    );
  }
});
