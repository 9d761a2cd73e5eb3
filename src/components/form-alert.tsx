/**
 * The message of a whole form (wrong email or password, server unreachable). The live
 * region stays in the page so that screen readers announce each new message at once.
 */
export function FormAlert({ message, id }: { message: string | null | undefined; id?: string }) {
  return (
    <div id={id} aria-live="assertive" aria-atomic="true">
      {message && (
        <p className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">{message}</p>
      )}
    </div>
  );
}
