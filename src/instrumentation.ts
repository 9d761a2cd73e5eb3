import { env } from "./env";

// Runs once when a server instance starts: a bad configuration fails at boot, with one
// message naming every bad variable, instead of on the first request.
export function register() {
  env();
}
