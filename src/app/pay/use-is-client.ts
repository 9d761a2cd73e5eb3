import { useSyncExternalStore } from "react";

const subscribe = () => () => {};

/**
 * False while the server renders and while React hydrates, true from then on. The checkout
 * reads sessionStorage, which the server does not have: rendering it only in the browser
 * avoids both a hydration mismatch and a flash of default values.
 */
export function useIsClient(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}
