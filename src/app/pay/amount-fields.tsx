import { TextField } from "@/components/text-field";
import type { CheckoutDraft } from "@/lib/checkout/checkout-store";
import { CURRENCIES, CURRENCY_CODES, MAXIMUM_AMOUNT, type Currency } from "@/lib/currencies";
import { formatMoney } from "@/lib/display-format";

type Props = { draft: CheckoutDraft; error: string | null; onChange: (changes: Partial<CheckoutDraft>) => void };

/** The amount, as typed in major units, and its currency. */
export function AmountFields({ draft, error, onChange }: Props) {
  const limits = `From ${formatMoney(CURRENCIES[draft.currency].minimum, draft.currency)} to ${formatMoney(MAXIMUM_AMOUNT, draft.currency)}.`;
  return (
    <div className="grid grid-cols-[minmax(0,1fr)_6.5rem] items-start gap-3">
      <TextField
        label="Amount"
        name="amount"
        inputMode="decimal"
        autoComplete="off"
        spellCheck={false}
        value={draft.amountText}
        onChange={(event) => onChange({ amountText: event.target.value })}
        hint={limits}
        error={error}
        className="min-w-0"
      />
      <div className="flex flex-col gap-1">
        <label htmlFor="currency" className="text-sm font-medium text-slate-800">
          Currency
        </label>
        <select
          id="currency"
          name="currency"
          value={draft.currency}
          onChange={(event) => onChange({ currency: event.target.value as Currency })}
          className="rounded-md border border-slate-300 bg-white px-3 py-2 text-base shadow-sm outline-none focus:border-indigo-500 focus:ring-2 focus:ring-indigo-200"
        >
          {CURRENCY_CODES.map((code) => (
            <option key={code} value={code} title={CURRENCIES[code].label}>
              {code.toUpperCase()}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
