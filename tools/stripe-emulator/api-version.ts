/**
 * The API version answered when a request sends no `Stripe-Version` header, and stamped on events
 * that no API request caused. It is the version stripe-node 23.1.0 pins; the SDK always sends its
 * own, which the emulator echoes back.
 */
export const DEFAULT_API_VERSION = "2026-10-28.endive";
