/**
 * The locale money and dates are shown in. Fixed rather than the browser's, so that a page
 * rendered on the server and the same data formatted in the browser read the same.
 */
export const DISPLAY_LOCALE = "en-US";
