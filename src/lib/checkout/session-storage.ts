/** The tab's sessionStorage, or null where storage is disabled: the checkout then only forgets on reload. */
export function sessionStorageOrNull(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
