import { formatCardBrand } from "@/lib/display-format";

/** "Visa •••• 4242", read by screen readers as "Visa ending in 4242". */
export function CardLabel({ card }: { card: { brand: string; last4: string } }) {
  return (
    <>
      {formatCardBrand(card.brand)} <span aria-hidden="true">••••</span>
      <span className="sr-only">ending in</span> {card.last4}
    </>
  );
}
