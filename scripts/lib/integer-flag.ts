/** A command-line flag's value as an integer ≥ `min`, or an error naming the flag. */
export function integerFlag(value: string, flag: string, min: 0 | 1): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    throw new Error(`${flag} must be a ${min === 1 ? "positive" : "non-negative"} integer, got "${value}"`);
  }
  return number;
}
