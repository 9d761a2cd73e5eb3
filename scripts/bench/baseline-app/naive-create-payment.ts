import "server-only";
import { createHash } from "node:crypto";
import type { Prisma } from "@prisma/client";
import type { CreatePaymentInput } from "@/lib/schemas/payment";
import { db } from "@/server/db";
import { stripe } from "@/server/stripe";

const NAIVE_PATH = "/api/bench/naive-payments";

/**
 * The tutorial's design (shared/seeds/000), kept ONLY as the baseline of `npm run bench`:
 * check the key and call Stripe inside one interactive transaction, so a database
 * connection is held for the whole Stripe call, then upsert the response. Do not copy it:
 * see shared/seeds/README.md for its defects. Identity and the key come from the real route's
 * wrapper (withKeyedRoute), so the comparison measures the design, not the authentication.
 */
export async function naiveCreatePayment(userId: string, key: string, input: CreatePaymentInput) {
  const requestHash = createHash("sha256").update(JSON.stringify(input)).digest("hex");
  return db().$transaction(async (tx) => {
    const existing = await tx.idempotencyKey.findUnique({ where: { userId_key: { userId, key } } });
    if (existing && new Date() < existing.expiresAt && existing.requestHash === requestHash) {
      return { status: existing.responseStatus ?? 200, body: existing.responseBody };
    }
    const intent = await stripe().paymentIntents.create(
      {
        amount: input.amount,
        currency: input.currency,
        payment_method: input.paymentMethod,
        confirm: true,
        automatic_payment_methods: { enabled: true, allow_redirects: "never" },
        metadata: { user_id: userId, baseline: "naive" },
      },
      { idempotencyKey: `naive/${userId}/${key}` },
    );
    const body = { id: intent.id, status: intent.status, amount: intent.amount } as Prisma.InputJsonValue;
    await tx.idempotencyKey.upsert({
      where: { userId_key: { userId, key } },
      update: {},
      create: {
        userId,
        key,
        method: "POST",
        path: NAIVE_PATH,
        requestHash,
        recoveryPoint: "finished",
        responseStatus: 200,
        responseBody: body,
        expiresAt: new Date(Date.now() + 24 * 60 * 60 * 1000),
      },
    });
    return { status: 200, body };
  });
}
