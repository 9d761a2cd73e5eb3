"use client";

import { PaymentElement, useElements } from "@stripe/react-stripe-js";
import { useEffect } from "react";
import type { Currency } from "@/lib/currencies";
import { TEST_CARDS } from "@/lib/test-cards";

type Props = { amount: number | null; currency: Currency; testMode: boolean };

/**
 * Stripe's Payment Element: the card is typed into Stripe's frame and never reaches this
 * page's code; it validates itself and shows its own messages. The element is told the
 * amount and currency as they change (deferred intent: elements.update).
 */
export function CardDetails({ amount, currency, testMode }: Props) {
  const elements = useElements();
  useEffect(() => {
    if (elements && amount !== null) elements.update({ amount, currency });
  }, [elements, amount, currency]);

  return (
    <div className="flex min-w-0 flex-col gap-2">
      <span className="text-sm font-medium text-slate-800">Card</span>
      <div className="min-h-48">
        <PaymentElement options={{ layout: "tabs" }} />
      </div>
      {testMode && <TestCardHints />}
    </div>
  );
}

function TestCardHints() {
  return (
    <details className="group rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-700">
      <summary className="cursor-pointer font-medium text-slate-800 marker:text-slate-400">
        Test mode: use a Stripe test card
      </summary>
      <p className="mt-2 text-xs text-slate-600">No real money moves. Any future expiry date, any CVC, any postal code.</p>
      <table className="mt-2 w-full text-left text-xs">
        <thead className="sr-only">
          <tr>
            <th scope="col">Card number</th>
            <th scope="col">What happens</th>
          </tr>
        </thead>
        <tbody>
          {TEST_CARDS.map((card) => (
            <tr key={card.number} className="border-t border-slate-200 first:border-t-0">
              <td className="py-1.5 pr-3 font-mono whitespace-nowrap tabular-nums select-all">{card.number}</td>
              <td className="py-1.5">{card.outcome}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
