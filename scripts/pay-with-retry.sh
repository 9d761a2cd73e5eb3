#!/usr/bin/env bash
# Shows the idempotency contract of POST /api/payments with nothing but curl and jq:
# a payment with a fresh key, a retry that replays it, a changed body refused with 422,
# and a concurrent burst with one key that creates exactly one payment. Every request is
# retried with the same key, with exponential backoff, on 409, 5xx and network errors.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: BASE_URL=http://localhost:3000 API_KEY=ipk_... scripts/pay-with-retry.sh [options]

Options:
  --amount N      amount in minor units (default 2500)
  --currency C    usd, eur, gbp, chf or cad (default eur)
  --card PM       pm_card_visa | pm_card_chargeDeclined | pm_card_authenticationRequired
  --burst N       concurrent requests in the burst step (default 8)
  --attempts N    attempts per request before giving up (default 6)
  -h, --help      this help

Environment:
  BASE_URL        the app (default http://localhost:3000)
  API_KEY         an API key: printed by `npm run dev`, or `npm run api-key -- --email you@example.com`
USAGE
}

amount=2500 currency=eur card=pm_card_visa burst=8 attempts=6
while [ $# -gt 0 ]; do
  case "$1" in
    --amount) amount=$2; shift 2 ;;
    --currency) currency=$2; shift 2 ;;
    --card) card=$2; shift 2 ;;
    --burst) burst=$2; shift 2 ;;
    --attempts) attempts=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

BASE_URL=${BASE_URL:-http://localhost:3000}
: "${API_KEY:?set API_KEY (see --help)}"
for tool in curl jq; do command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }; done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

new_key() { printf 'pay-%s' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"; }
body_json() { jq -cn --argjson amount "$1" --arg currency "$currency" --arg card "$card" \
  '{amount: $amount, currency: $currency, paymentMethod: $card}'; }
header() { grep -i "^$2:" "$1" | tail -n 1 | cut -d' ' -f2- | tr -d '\r'; }
say() { printf '%s\n' "$*"; }

# post KEY BODY OUT: POST once; writes OUT.headers and OUT.body, prints the status
# (000 when the network failed).
post() {
  curl -sS -o "$3.body" -D "$3.headers" -w '%{http_code}' --max-time 30 \
    -X POST "$BASE_URL/api/payments" \
    -H "Authorization: Bearer $API_KEY" -H "Content-Type: application/json" \
    -H "Idempotency-Key: $1" --data "$2" 2>/dev/null || echo 000
}

# post_with_retry KEY BODY OUT: retries the SAME key on 409, 5xx and network errors with
# exponential backoff and jitter, never sooner than Retry-After. Prints the final status.
post_with_retry() {
  local status delay retry_after
  for ((attempt = 1; attempt <= attempts; attempt++)); do
    status=$(post "$1" "$2" "$3")
    case "$status" in
      409 | 5?? | 000) ;;
      *) echo "$status"; return 0 ;;
    esac
    [ "$attempt" -eq "$attempts" ] && break
    delay=$(awk -v a="$attempt" -v r="$RANDOM" 'BEGIN { d = 0.25 * 2 ^ (a - 1); if (d > 8) d = 8; printf "%.2f", d + d * (r % 50) / 100 }')
    retry_after=$(header "$3.headers" retry-after 2>/dev/null || true)
    if [[ "$retry_after" =~ ^[0-9]+$ ]] && awk -v r="$retry_after" -v d="$delay" 'BEGIN { exit !(r > d) }'; then delay=$retry_after; fi
    say "  … got $status, retrying the same key in ${delay}s (attempt $((attempt + 1))/$attempts)" >&2
    sleep "$delay"
  done
  echo "$status"
}

fail() { say "FAILED: $*" >&2; exit 1; }

key=$(new_key)
body=$(body_json "$amount")

say "1. Pay $amount $currency with a new key $key"
status=$(post_with_retry "$key" "$body" "$work/first")
say "   → $status $(jq -c '{id, status, amount, currency, paymentIntentId}' "$work/first.body" 2>/dev/null || cat "$work/first.body")"
case "$status" in 201 | 402) ;; *) fail "expected 201 or 402, got $status" ;; esac

say "2. Retry with the same key and body"
status=$(post_with_retry "$key" "$body" "$work/retry")
replayed=$(header "$work/retry.headers" idempotent-replayed)
say "   → $status, Idempotent-Replayed: ${replayed:-absent}"
[ "$replayed" = "true" ] || fail "the retry was not a replay"
cmp -s "$work/first.body" "$work/retry.body" || fail "the replayed body differs from the first"
say "   → same body, byte for byte"

say "3. Same key, another amount"
status=$(post_with_retry "$key" "$(body_json $((amount + 100)))" "$work/changed")
say "   → $status $(jq -r '.code' "$work/changed.body")"
[ "$status" = "422" ] || fail "expected 422, got $status"

burst_key=$(new_key)
say "4. A burst of $burst concurrent requests with one new key $burst_key"
for ((i = 1; i <= burst; i++)); do
  post_with_retry "$burst_key" "$body" "$work/burst-$i" >"$work/burst-$i.status" 2>/dev/null &
done
wait
ids=$(for ((i = 1; i <= burst; i++)); do jq -r '.id // .payment.id // empty' "$work/burst-$i.body"; done | sort -u)
statuses=$(cat "$work"/burst-*.status | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')
say "   → statuses: $statuses"
say "   → distinct payments: $(echo "$ids" | grep -c . || true) ($(echo "$ids" | tr '\n' ' '))"
[ "$(echo "$ids" | grep -c .)" = "1" ] || fail "the burst created $(echo "$ids" | grep -c .) payments"
say "OK: charged once per key."
