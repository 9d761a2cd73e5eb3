import { mkdirSync, readFileSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import path from "node:path";
import type { Account, Accounts } from "./accounts";
import type { StoredConfirmationToken } from "./confirmation-tokens";
import type { SavedIdempotencyKey } from "./idempotency";
import type { Charge, Dispute, PaymentIntent, PaymentMethod, Refund, StripeEvent } from "./objects";
import type { Settlement } from "./settlements";
import { findCardBehaviour } from "./test-payment-methods";

const STATE_FILE = "state.json";
const FORMAT_VERSION = 1;
/** Saves are coalesced: a burst of requests is written once, shortly after it. */
const SAVE_DELAY_MS = 20;

interface SavedAccount {
  /** SHA-256 of the API key: the file never holds a key. */
  keyHash: string;
  paymentIntents: PaymentIntent[];
  charges: Charge[];
  refunds: Refund[];
  disputes: Dispute[];
  /** A card's behaviour is saved by its key (a test card's token) and found again by it. */
  paymentMethods: Array<{ paymentMethod: PaymentMethod; card: string }>;
  /** With the card each will become; absent in files written before tokens existed. */
  confirmationTokens?: StoredConfirmationToken[];
  events: StripeEvent[];
  idempotencyKeys: SavedIdempotencyKey[];
  settlements: Settlement[];
}

interface SavedState {
  version: typeof FORMAT_VERSION;
  accounts: SavedAccount[];
}

/**
 * Keeps the emulator's objects (PaymentMethods and ConfirmationTokens included), events,
 * idempotency keys and pending settlements in `<dataDir>/state.json`, so that a restarted emulator
 * (`npm run dev`) still knows the payments its database refers to. Written atomically (a temporary file renamed over the old one) shortly
 * after each change, and once more on close. Faults, counters and queued webhook deliveries are
 * not kept: they belong to a run, not to the data.
 */
export class StatePersistence {
  private readonly file: string;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(
    dataDir: string,
    private readonly accounts: Accounts,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, STATE_FILE);
  }

  /** Reads saved state into the (empty) accounts; a missing file is a first start. */
  load(): void {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch (error) {
      if (isMissingFile(error)) return;
      throw error;
    }
    // A file it cannot read is refused rather than overwritten: it may be the only copy.
    const saved = parseState(text, this.file);
    for (const account of saved.accounts) restoreAccount(this.accounts.forKeyHash(account.keyHash), account);
  }

  /** Notes that state changed; a save follows shortly. */
  changed(): void {
    this.dirty = true;
    if (this.timer !== undefined || this.writing !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, SAVE_DELAY_MS);
    this.timer.unref();
  }

  /** Resolves once every change so far is on disk. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.writing;
    if (this.dirty) await this.write();
  }

  private write(): Promise<void> {
    this.writing ??= (async () => {
      // Changes made while a write is under way are picked up by the next turn of the loop.
      while (this.dirty) {
        this.dirty = false;
        await writeAtomically(this.file, JSON.stringify(snapshot(this.accounts)));
      }
    })()
      .catch((error: unknown) => {
        process.stderr.write(`stripe-emulator: could not save state to ${this.file}: ${String(error)}\n`);
      })
      .finally(() => {
        this.writing = undefined;
      });
    return this.writing;
  }
}

function snapshot(accounts: Accounts): SavedState {
  return {
    version: FORMAT_VERSION,
    accounts: accounts.entries().map(([keyHash, account]) => ({
      keyHash,
      paymentIntents: [...account.paymentIntents.values()],
      charges: [...account.charges.values()],
      refunds: [...account.refunds.values()],
      disputes: [...account.disputes.values()],
      paymentMethods: [...account.paymentMethods.values()].map(({ paymentMethod, card }) => ({ paymentMethod, card: card.token })),
      confirmationTokens: [...account.confirmationTokens.values()],
      events: [...account.events.values()],
      idempotencyKeys: account.idempotency.completedKeys(),
      settlements: [...account.settlements.values()],
    })),
  };
}

/** Maps are filled in saved order, which is creation order, so lists stay newest first. */
function restoreAccount(account: Account, saved: SavedAccount): void {
  for (const intent of saved.paymentIntents) account.paymentIntents.set(intent.id, intent);
  for (const charge of saved.charges) account.charges.set(charge.id, charge);
  for (const refund of saved.refunds) account.refunds.set(refund.id, refund);
  for (const dispute of saved.disputes) account.disputes.set(dispute.id, dispute);
  for (const { paymentMethod, card: key } of saved.paymentMethods) {
    const card = findCardBehaviour(key);
    if (card) account.paymentMethods.set(paymentMethod.id, { paymentMethod, card });
  }
  for (const stored of saved.confirmationTokens ?? []) account.confirmationTokens.set(stored.token.id, stored);
  for (const event of saved.events) account.events.set(event.id, event);
  account.idempotency.restore(saved.idempotencyKeys);
  // Scheduling again arms the timers the previous run did not get to fire.
  for (const settlement of saved.settlements) account.schedule(settlement);
}

function parseState(text: string, file: string): SavedState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON (${String(error)}); move it away to start with an empty emulator`);
  }
  if (!isSavedState(value)) {
    throw new Error(`${file} is not emulator state of format version ${FORMAT_VERSION}; move it away to start with an empty emulator`);
  }
  return value;
}

/** The file is the emulator's own; checking its envelope catches a wrong file or an old format. */
function isSavedState(value: unknown): value is SavedState {
  if (typeof value !== "object" || value === null) return false;
  const { version, accounts } = value as { version?: unknown; accounts?: unknown };
  return version === FORMAT_VERSION && Array.isArray(accounts);
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, "w");
  try {
    await handle.writeFile(text);
    // On disk before the rename, so a crash leaves the old file or the new one, never half of one.
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}

function isMissingFile(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
}
