import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = fileURLToPath(new URL("./cli.ts", import.meta.url));

const children: ChildProcessWithoutNullStreams[] = [];

function runCli(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, STRIPE_EMULATOR_PORT: "", STRIPE_WEBHOOK_URL: "", STRIPE_WEBHOOK_SECRET: "", STRIPE_EMULATOR_DATA_DIR: "", ...env },
  });
  children.push(child);
  return child;
}

function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const newline = output.indexOf("\n");
      if (newline !== -1) resolve(output.slice(0, newline));
    });
    child.once("exit", (code) => reject(new Error(`CLI exited with ${String(code)} before printing`)));
  });
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

describe("cli", () => {
  it("prints its URL, serves the API, and stops cleanly on SIGTERM", async () => {
    const child = runCli(["--port", "0"]);
    const line = await firstLine(child);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
    expect(url).toBeDefined();

    const health = await fetch(`${url ?? ""}/_emulator/health`);
    expect(await health.json()).toEqual({ ok: true });
    const unauthorized = await fetch(`${url ?? ""}/v1/payment_intents`);
    expect(unauthorized.status).toBe(401);

    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("reads the port from STRIPE_EMULATOR_PORT", async () => {
    const child = runCli([], { STRIPE_EMULATOR_PORT: "0" });
    expect(await firstLine(child)).toMatch(/^Stripe emulator listening on http:\/\/127\.0\.0\.1:\d+$/);
    child.kill("SIGINT");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
  });

  it("keeps its state in --data-dir across a SIGTERM and a new start", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "stripe-emulator-cli-"));
    try {
      const first = runCli(["--port", "0", "--data-dir", dataDir]);
      const firstUrl = /(http:\/\/\S+)$/.exec(await firstLine(first))?.[1] ?? "";
      const created = await fetch(`${firstUrl}/v1/payment_intents`, {
        method: "POST",
        headers: { Authorization: "Bearer sk_test_cli", "Content-Type": "application/x-www-form-urlencoded" },
        body: "amount=1000&currency=usd",
      });
      const { id } = (await created.json()) as { id: string };
      first.kill("SIGTERM");
      expect((await once(first, "exit"))[0]).toBe(0);

      const second = runCli(["--port", "0"], { STRIPE_EMULATOR_DATA_DIR: dataDir });
      const secondUrl = /(http:\/\/\S+)$/.exec(await firstLine(second))?.[1] ?? "";
      const retrieved = await fetch(`${secondUrl}/v1/payment_intents/${id}`, { headers: { Authorization: "Bearer sk_test_cli" } });
      expect(retrieved.status).toBe(200);
      second.kill("SIGTERM");
      await once(second, "exit");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("explains itself with --help", async () => {
    const child = runCli(["--help"]);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    expect(output).toContain("--webhook-secret");
    expect(output).toContain("STRIPE_EMULATOR_LATENCY_MS");
    expect(output).toContain("--data-dir");
  });

  it("refuses a webhook URL without a secret", async () => {
    const child = runCli(["--port", "0", "--webhook-url", "http://127.0.0.1:9/hooks"]);
    let errors = "";
    child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString("utf8")));
    const [code] = await once(child, "exit");
    expect(code).toBe(1);
    expect(errors).toContain("--webhook-secret");
  });
});
