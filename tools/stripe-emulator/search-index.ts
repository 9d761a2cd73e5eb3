import type { Account } from "./accounts";
import type { PaymentIntent } from "./objects";

interface IndexedVersion {
  /** Emulator clock, ms. */
  at: number;
  /** The event's own snapshot, shared rather than copied: events keep it anyway. */
  snapshot: PaymentIntent;
}

/**
 * What Stripe's Search API can see. Search is not read-after-write: "data won't be immediately
 * available to search … under normal operating conditions, data is searchable in under 1
 * minute" (docs.stripe.com/search). So each PaymentIntent version is recorded when it is made
 * (every change to one emits a `payment_intent.*` event), and a search running `lagMs` behind
 * sees the newest version at least that old: a new object is not found at all, a changed one is
 * matched as it was. List and retrieve read the live objects and are never behind.
 */
export class SearchIndex {
  private readonly versions = new WeakMap<Account, Map<string, IndexedVersion[]>>();

  record(account: Account, snapshot: PaymentIntent, at: number): void {
    let byId = this.versions.get(account);
    if (!byId) {
      byId = new Map();
      this.versions.set(account, byId);
    }
    const versions = byId.get(snapshot.id) ?? [];
    versions.push({ at, snapshot });
    byId.set(snapshot.id, versions);
  }

  /**
   * The version of `intent` a search may match at `now`, or undefined while it is not searchable
   * yet. Without lag that is the live object. An object with no recorded version (one that
   * predates the index) counts as long indexed.
   */
  searchable(account: Account, intent: PaymentIntent, now: number, lagMs: number): PaymentIntent | undefined {
    if (lagMs <= 0) return intent;
    const versions = this.versions.get(account)?.get(intent.id);
    if (!versions || versions.length === 0) return intent;
    const cutoff = now - lagMs;
    let visible: IndexedVersion | undefined;
    for (const version of versions) {
      if (version.at > cutoff) break;
      visible = version;
    }
    return visible?.snapshot;
  }
}
