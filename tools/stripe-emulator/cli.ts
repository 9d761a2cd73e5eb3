import { parseArgs } from "node:util";
import { startStripeEmulator } from "./index";

const USAGE = `Local Stripe-compatible API server for development, tests and benchmarks.

Usage: npm run stripe-emulator -- [options]

Options:
  --port <n>              Port to listen on; 0 picks a free one   [env STRIPE_EMULATOR_PORT, default 12111]
  --host <host>           Interface to listen on                  [default 127.0.0.1]
  --latency-ms <n>        Delay added to every API request        [env STRIPE_EMULATOR_LATENCY_MS, default 0]
  --webhook-url <url>     Where to POST signed events             [env STRIPE_WEBHOOK_URL]
  --webhook-secret <s>    whsec_… secret to sign them with        [env STRIPE_WEBHOOK_SECRET]
  --data-dir <dir>        Keep state across restarts in <dir>     [env STRIPE_EMULATOR_DATA_DIR, default: memory only]
  --log                   One line per request on stderr
  -h, --help              Show this help

Point stripe-node at it with new Stripe(key, { host, port, protocol: "http" }).
Runtime controls (faults, stats, reset) live under /_emulator/; see tools/stripe-emulator/README.md.`;

/** An empty variable counts as unset, as in most shells' `VAR= command`. */
function fromEnv(name: string): string | undefined {
  return process.env[name] || undefined;
}

function readInteger(name: string, value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "latency-ms": { type: "string" },
      "webhook-url": { type: "string" },
      "webhook-secret": { type: "string" },
      "data-dir": { type: "string" },
      log: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = values.port ?? fromEnv("STRIPE_EMULATOR_PORT") ?? "12111";
  const latencyMs = values["latency-ms"] ?? fromEnv("STRIPE_EMULATOR_LATENCY_MS") ?? "0";
  const webhookUrl = values["webhook-url"] ?? fromEnv("STRIPE_WEBHOOK_URL");
  const webhookSecret = values["webhook-secret"] ?? fromEnv("STRIPE_WEBHOOK_SECRET");
  if (webhookUrl && !webhookSecret) throw new Error("--webhook-url needs --webhook-secret (or STRIPE_WEBHOOK_SECRET)");

  const emulator = await startStripeEmulator({
    port: readInteger("--port", port),
    host: values.host ?? "127.0.0.1",
    latencyMs: readInteger("--latency-ms", latencyMs),
    webhookUrl,
    webhookSecret,
    log: values.log ?? false,
    dataDir: values["data-dir"] ?? fromEnv("STRIPE_EMULATOR_DATA_DIR"),
  });
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  // Printed last: whoever waits for this line may signal the process right away.
  process.stdout.write(`Stripe emulator listening on ${emulator.url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`stripe-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
