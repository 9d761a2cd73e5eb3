import { randomBytes } from "node:crypto";
import pg from "pg";
import { withPgClient } from "../scripts/lib/pg-once";
import { afterAll, afterEach, beforeAll, expect, inject, vi } from "vitest";
import { failOnConsoleError } from "./helpers/fail-on-console-error";
import { specViolations } from "./helpers/spec-checked-route";
import type * as RouteModule from "@/server/http/route";

// Runs in every test file before its imports are evaluated: each file gets its own
// database, copied from the migrated template, so files run in parallel and in any order.
const adminUrl = inject("pgAdminUrl");
const template = inject("pgTemplateDatabase");
const database = `test_${randomBytes(6).toString("hex")}`;

const testEnv: Record<string, string> = {
  NODE_ENV: "test",
  DATABASE_URL: databaseUrl(database),
  AUTH_SECRET: "test-auth-secret-that-is-at-least-32-characters-long",
  STRIPE_SECRET_KEY: "sk_test_integration",
  STRIPE_WEBHOOK_SECRET: "whsec_integration",
  NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: "pk_test_integration",
  LOG_LEVEL: "silent",
};
Object.assign(process.env, testEnv);

function databaseUrl(name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  return withPgClient(adminUrl, work);
}

beforeAll(async () => {
  await admin((c) => c.query(`CREATE DATABASE ${database} TEMPLATE ${pg.escapeIdentifier(template)}`));
});

afterAll(async () => {
  const { disconnect } = await import("@/server/db");
  await disconnect();
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
});

failOnConsoleError();

// Every answer of every route handler a test calls is checked against the OpenAPI document.
vi.mock("@/server/http/route", async (importOriginal) => {
  const original = await importOriginal<typeof RouteModule>();
  const { specCheckedRoute } = await import("./helpers/spec-checked-route");
  return { ...original, route: specCheckedRoute(original.route) };
});

afterEach(() => {
  const found = specViolations.splice(0);
  expect(found, "answers that depart from the OpenAPI document").toEqual([]);
});
