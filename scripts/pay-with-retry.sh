#!/usr/bin/env bash
# Pays through POST /api/payments with nothing but curl and jq, retries only what the API says
# is retryable (same key, same body, Retry-After or bounded exponential backoff with jitter),
# prints one line per attempt, and reports what it actually received: a decline as a decline,
# a 3-D Secure challenge as such, and "charged once" only when it saw exactly one succeeded
# payment per key. Then it shows the idempotency contract: a replay, a changed body refused
# with 422, and a concurrent burst with one key. See --help for the exit statuses.
set -euo pipefail

EXIT_OK=0
EXIT_FAILED=1
EXIT_DECLINED=2
EXIT_REQUIRES_ACTION=3
EXIT_GAVE_UP=4
EXIT_PENDING=5
EXIT_USAGE=64

usage() {
  cat <<'USAGE'
Usage: BASE_URL=http://localhost:3000 API_KEY=ipk_... scripts/pay-with-retry.sh [options]

Pays once through POST /api/payments and shows its idempotency contract:
  1. pays with a new Idempotency-Key, retrying that same key while the answer says to;
  2. sends the same key and body again: the answer must be a replay (Idempotent-Replayed: true),
     byte for byte;
  3. sends the same key with another amount: it must be refused (422 idempotency_key_reused);
  4. only if step 1 succeeded: a burst of concurrent requests with one new key, which must
     create exactly one payment. Each response of the burst is printed.
A decline is reported as DECLINED with its decline code, a 3-D Secure challenge as
REQUIRES_ACTION, and "charged once" is said only when exactly one distinct payment id with
status "succeeded" was seen per key.

Options:
  --amount N      amount in minor units (default 2500)
  --currency C    usd, eur, gbp, chf or cad (default eur)
  --card PM       pm_card_visa (succeeds) | pm_card_chargeDeclined (declined) |
                  pm_card_authenticationRequired (needs 3-D Secure); default pm_card_visa
  --burst N       concurrent requests in step 4, 0 skips it (default 8)
  --attempts N    attempts per request, the first one included (default 8, or $PAY_ATTEMPTS)
  -h, --help      this help

Environment:
  BASE_URL        the app (default http://localhost:3000)
  API_KEY         an API key: printed by `npm run dev`, or `npm run api-key -- --email you@example.com`.
                  Never printed; curl reads it from a private temporary file, not its command line.
  PAY_ATTEMPTS    the default of --attempts

Attempts and retries: every attempt prints one line to stderr with the attempt number, the
HTTP status, the problem `code` (- when none), whether `Idempotent-Replayed: true` was present,
and the wait before the next attempt. Retries always send the SAME key and body.
  retried       a network failure or timeout (HTTP 000), 409 idempotency_request_in_progress,
                429 rate_limited, 500 (outcome_not_recorded, internal_error), 503
                (payment_provider_unavailable, service_unavailable), a gateway's 502 / 504
  wait          Retry-After when the answer has one (at most 60 s), and never less than the
                backoff: 0.25 s, 0.5 s, 1 s, ... capped at 8 s, plus up to 50% random jitter
  not retried   400, 401, 403, 404, 405, 413, 415, 422: fix the request; 402 card_declined:
                final for its key (another card is a new payment, with a new key)
  500 outcome_not_recorded: Stripe processed the payment but it is not recorded yet; the
  operator's `npm run reconcile` records it. Keep the key and retry it later: never pay again
  under a new key.

Exit status:
  0   the payment succeeded (201, status "succeeded"), its retry was a replay, and every key
      charged exactly once
  1   refused (a 4xx other than 402: the request is wrong and was not retried), an answer the
      API does not document, or a broken promise (no replay, another body, a second payment,
      a changed body not refused)
  2   declined: 402 card_declined; the decline code and the failed payment's id are printed
  3   requires_action: the card needs 3-D Secure; nothing is charged until a browser completes
      it (Stripe.js with the payment's clientSecret); GET /api/payments/{id} tells the outcome
  4   gave up: every attempt was a network failure, 409, 429 or 5xx; the outcome is unknown or
      not recorded yet; retry later with the SAME Idempotency-Key, which is printed
  5   the payment is in another state that is not final (e.g. processing): not charged yet
  64  usage: an unknown option or bad value, API_KEY unset, curl or jq missing

The API:
  GET $BASE_URL/api/openapi.json    the machine-readable spec (OpenAPI 3.1): every operation,
                                    its headers, bodies and problem codes
  $BASE_URL/docs/api                the documentation for humans
  $BASE_URL/docs/errors             every problem `code`, what it means and what to do
  Idempotency-Key-Expires           a header on responses to keyed requests: when the server
                                    forgets the key; retries must come before it (after it,
                                    the same key starts a new payment)
  GET $BASE_URL/api/idempotency-keys/{key}
                                    for a client whose answer was lost: whether the key is
                                    in progress, completed or unknown
USAGE
}

usage_error() {
  printf '%s (see --help)\n' "$*" >&2
  exit "$EXIT_USAGE"
}

amount=2500 currency=eur card=pm_card_visa burst=8 attempts=${PAY_ATTEMPTS:-8}
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit "$EXIT_OK" ;;
    --amount | --currency | --card | --burst | --attempts)
      [ $# -ge 2 ] || usage_error "$1 needs a value"
      case "$1" in
        --amount) amount=$2 ;;
        --currency) currency=$2 ;;
        --card) card=$2 ;;
        --burst) burst=$2 ;;
        --attempts) attempts=$2 ;;
      esac
      shift 2
      ;;
    *) usage_error "unknown option: $1" ;;
  esac
done

[[ "$amount" =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || usage_error "--amount must be a number, got: $amount"
[[ "$burst" =~ ^[0-9]+$ ]] || usage_error "--burst must be 0 or more, got: $burst"
[[ "$attempts" =~ ^[0-9]+$ ]] && [ "$attempts" -ge 1 ] || usage_error "--attempts must be 1 or more, got: $attempts"

BASE_URL=${BASE_URL:-http://localhost:3000}
BASE_URL=${BASE_URL%/}
[ -n "${API_KEY:-}" ] || usage_error "set API_KEY"
for tool in curl jq; do command -v "$tool" >/dev/null || usage_error "$tool is required"; done

MAX_WAIT_SECONDS=60
REQUEST_TIMEOUT_SECONDS=30

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The API key goes in a header file only this user can read: not on curl's command line (ps).
(umask 077 && printf 'Authorization: Bearer %s\n' "$API_KEY" >"$work/auth")

say() { printf '%s\n' "$*"; }
log() { printf '%s\n' "$*" >&2; }
# Whatever came from outside (curl's errors, the server's text) is printed without the key.
redact() { local text=$1; printf '%s' "${text//"$API_KEY"/[API_KEY]}"; }
new_key() { printf 'pay-%s' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"; }
body_json() { jq -cn --argjson amount "$1" --arg currency "$currency" --arg card "$card" \
  '{amount: $amount, currency: $currency, paymentMethod: $card}'; }
# header FILE NAME: the value of the last NAME header in FILE, or nothing.
header() { { grep -i "^$2:" "$1" 2>/dev/null || true; } | tail -n 1 | cut -d' ' -f2- | tr -d '\r'; }
# field FILE FILTER: a jq filter applied to a JSON body, or nothing when it is not JSON.
field() { jq -r "$2 // empty" "$1" 2>/dev/null || true; }
read_or() { if [ -s "$1" ]; then cat "$1"; else printf '%s' "$2"; fi; }

# The problem `code` of an answer: only problems (status 4xx/5xx) have one.
problem_code() { case "$(read_or "$1.status" 000)" in 4?? | 5??) field "$1.body" '.code' ;; esac; }

# post KEY BODY OUT: one POST; writes OUT.status (000 when the network failed), OUT.headers,
# OUT.body and OUT.curl-error.
post() {
  local code rc=0
  : >"$3.body"
  : >"$3.headers"
  code=$(curl -sS -o "$3.body" -D "$3.headers" -w '%{http_code}' --max-time "$REQUEST_TIMEOUT_SECONDS" \
    -X POST "$BASE_URL/api/payments" \
    -H @"$work/auth" -H "Content-Type: application/json" \
    -H "Idempotency-Key: $1" --data-binary "$2" 2>"$3.curl-error") || rc=$?
  # A transfer cut off after the status line is as unknown as no answer at all.
  [ "$rc" -eq 0 ] && [[ "$code" =~ ^[0-9]{3}$ ]] || code=000
  printf '%s' "$code" >"$3.status"
}

# retryable STATUS CODE: what docs/API.md says a client retries with the same key.
retryable() {
  case "$1" in
    000 | 429 | 500 | 502 | 503 | 504) return 0 ;;
    409) [ "$2" = idempotency_request_in_progress ] ;;
    *) return 1 ;;
  esac
}

# wait_before ATTEMPT HEADERS: prints "SECONDS REASON": Retry-After (capped) when the answer
# has one, but never less than exponential backoff with jitter.
wait_before() {
  local backoff retry_after="" value now at
  backoff=$(awk -v a="$1" -v r="$RANDOM" 'BEGIN { d = 0.25 * 2 ^ (a - 1); if (d > 8) d = 8; printf "%.2f", d + d * (r % 51) / 100 }')
  value=$(header "$2" retry-after)
  if [[ "$value" =~ ^[0-9]+$ ]]; then
    retry_after=$value
  elif [ -n "$value" ] && at=$(date -d "$value" +%s 2>/dev/null); then
    now=$(date +%s)
    retry_after=$((at > now ? at - now : 0))
  fi
  if [ -z "$retry_after" ]; then
    printf '%s backoff' "$backoff"
  elif [ "$retry_after" -gt "$MAX_WAIT_SECONDS" ]; then
    printf '%s Retry-After %s s, capped' "$MAX_WAIT_SECONDS" "$retry_after"
  elif awk -v r="$retry_after" -v d="$backoff" 'BEGIN { exit !(r >= d) }'; then
    printf '%s Retry-After %s s' "$retry_after" "$retry_after"
  else
    printf '%s backoff, more than Retry-After %s s' "$backoff" "$retry_after"
  fi
}

# post_with_retry LABEL KEY BODY OUT: POSTs, retrying the same key and body while the answer is
# retryable, at most $attempts times; one line per attempt on stderr. Leaves the last answer in
# OUT.* and the number of attempts in OUT.attempts; OUT.gave-up exists when the last answer
# was still retryable.
post_with_retry() {
  local label=$1 key=$2 body=$3 out=$4 attempt status code replayed note plan seconds
  rm -f "$out.gave-up"
  for ((attempt = 1; ; attempt++)); do
    post "$key" "$body" "$out"
    printf '%s' "$attempt" >"$out.attempts"
    status=$(cat "$out.status")
    code=$(problem_code "$out")
    replayed=no
    [ "$(header "$out.headers" idempotent-replayed)" = "true" ] && replayed=yes
    note=""
    [ "$status" = 000 ] && note=" ($(redact "$(head -n 1 "$out.curl-error" 2>/dev/null || true)"))"
    local line="$label attempt $attempt/$attempts: HTTP $status$note, code ${code:--}, Idempotent-Replayed: $replayed"
    if ! retryable "$status" "$code"; then
      log "$line; final"
      return 0
    fi
    if [ "$attempt" -ge "$attempts" ]; then
      log "$line; retryable, but that was the last attempt: giving up"
      : >"$out.gave-up"
      return 0
    fi
    plan=$(wait_before "$attempt" "$out.headers")
    seconds=${plan%% *}
    log "$line; retrying the same key in ${seconds}s (${plan#* })"
    sleep "$seconds"
  done
}

# describe OUT: reads an answer into globals: kind (succeeded, declined, requires_action,
# pending, refused, gave_up, unexpected), status, code, payment_id, payment_status, decline,
# request_id.
describe() {
  local out=$1
  status=$(read_or "$out.status" 000)
  code=$(problem_code "$out")
  request_id=$(header "$out.headers" x-request-id)
  payment_id="" payment_status="" decline=""
  if [ -e "$out.gave-up" ] || [ "$status" = 000 ]; then
    kind=gave_up
  elif [ "$status" = 201 ]; then
    payment_id=$(field "$out.body" '.id')
    payment_status=$(field "$out.body" '.status')
    case "$payment_status" in
      succeeded) kind=succeeded ;;
      requires_action) kind=requires_action ;;
      failed) kind=declined decline=$(field "$out.body" '.failureCode') ;;
      "") kind=unexpected ;;
      *) kind=pending ;;
    esac
  elif [ "$status" = 402 ] && [ "$code" = card_declined ]; then
    kind=declined
    payment_id=$(field "$out.body" '.payment.id')
    payment_status=$(field "$out.body" '.payment.status')
    decline=$(field "$out.body" '.declineCode // .payment.failureCode')
  elif [[ "$status" =~ ^4 ]]; then
    kind=refused
  else
    kind=unexpected
  fi
  [ -n "$decline" ] || decline=card_declined
}

# The lines that explain an answer that is not a payment, without the API key.
explain_problem() {
  local out=$1 detail errors
  detail=$(field "$out.body" '.detail')
  [ -n "$detail" ] && say "   detail: $(redact "$detail")"
  errors=$(jq -r '.errors[]? | "   field \(.path | if . == "" then "(body)" else . end): \(.message)"' "$out.body" 2>/dev/null || true)
  [ -n "$errors" ] && say "$(redact "$errors")"
  [ -n "$request_id" ] && say "   X-Request-Id: $request_id (quote it when you report a problem)"
  return 0
}

fail() {
  say "FAILED: $*" >&2
  exit "$EXIT_FAILED"
}

# report_first OUT KEY: prints the truth about step 1; exits unless the answer is a stored
# outcome (succeeded, declined, requires_action, pending) that the next steps can replay.
report_first() {
  local out=$1 key=$2 tried
  describe "$out"
  tried=$(read_or "$out.attempts" 1)
  case "$kind" in
    succeeded)
      say "SUCCEEDED: payment $payment_id ($(field "$out.body" '.amount') $(field "$out.body" '.currency'), PaymentIntent $(field "$out.body" '.paymentIntentId'))"
      ;;
    declined)
      say "DECLINED: $decline (payment ${payment_id:-unknown})"
      say "   The card was not charged. The decline is final for this key: pay again only with another card, under a new key."
      ;;
    requires_action)
      say "REQUIRES_ACTION: payment $payment_id needs 3-D Secure authentication; nothing is charged until it is completed"
      say "   A browser completes it with Stripe.js (stripe.handleNextAction and the payment's clientSecret);"
      say "   GET $BASE_URL/api/payments/$payment_id then tells the outcome."
      ;;
    pending)
      say "PENDING: payment $payment_id is $payment_status; not charged yet. GET $BASE_URL/api/payments/$payment_id tells the outcome."
      ;;
    refused)
      say "REFUSED: HTTP $status ${code:-(no problem code)}; not retried: the request must change"
      explain_problem "$out"
      exit "$EXIT_FAILED"
      ;;
    gave_up)
      if [ "$code" = outcome_not_recorded ]; then
        local object
        object=$(field "$out.body" '.stripeObjectId')
        say "GAVE UP after $tried attempt(s): the last answer was HTTP $status $code; the outcome is not recorded yet."
        say "   Stripe processed the request${object:+ (PaymentIntent $object)} but the server has not recorded it; the operator's npm run reconcile will."
      else
        say "GAVE UP after $tried attempt(s): the last answer was HTTP $status ${code:-(no problem code)}; the outcome is unknown."
      fi
      say "   Retry later with the SAME Idempotency-Key: $key (never pay again under a new key)."
      explain_problem "$out"
      exit "$EXIT_GAVE_UP"
      ;;
    *)
      say "UNEXPECTED: HTTP $status ${code:-(no problem code)}: not an answer the API documents for POST /api/payments"
      explain_problem "$out"
      exit "$EXIT_FAILED"
      ;;
  esac
}

key=$(new_key)
body=$(body_json "$amount")

say "1. Pay $amount $currency with $card and a new key $key"
post_with_retry "   [1]" "$key" "$body" "$work/first"
expires=$(header "$work/first.headers" idempotency-key-expires)
[ -n "$expires" ] && say "   Idempotency-Key-Expires: $expires"
report_first "$work/first" "$key"
first_kind=$kind first_id=$payment_id first_status=$status first_decline=$decline first_payment_status=$payment_status

say "2. Retry with the same key and body"
post_with_retry "   [2]" "$key" "$body" "$work/retry"
describe "$work/retry"
replayed=$(header "$work/retry.headers" idempotent-replayed)
say "   → $status, Idempotent-Replayed: ${replayed:-absent}"
[ "$status" = "$first_status" ] || fail "the retry got HTTP $status, the first request $first_status"
[ "$replayed" = "true" ] || fail "the retry was not a replay"
cmp -s "$work/first.body" "$work/retry.body" || fail "the replayed body differs from the first"
say "   → same body, byte for byte (payment ${payment_id:-unknown}, $kind)"

say "3. Same key, another amount"
post_with_retry "   [3]" "$key" "$(body_json "$amount" | jq -c '.amount += 100')" "$work/changed"
describe "$work/changed"
say "   → $status ${code:-}"
case "$status" in
  422) ;;
  201 | 402) fail "the changed body was not refused (HTTP $status): the key may have paid twice" ;;
  *) fail "expected 422 idempotency_key_reused, got HTTP $status ${code:-}" ;;
esac

burst_summary=""
if [ "$first_kind" != succeeded ]; then
  say "4. Burst skipped: step 1 did not charge ($first_kind)"
elif [ "$burst" -eq 0 ]; then
  say "4. Burst skipped (--burst 0)"
else
  burst_key=$(new_key)
  say "4. A burst of $burst concurrent requests with one new key $burst_key"
  for ((i = 1; i <= burst; i++)); do
    post_with_retry "   [4 #$i]" "$burst_key" "$body" "$work/burst-$i" &
  done
  wait
  ids="" replays=0 gave_up=0 succeeded_ids="" statuses="" bodies_differ=""
  for ((i = 1; i <= burst; i++)); do
    out="$work/burst-$i"
    describe "$out"
    replayed=no
    [ "$(header "$out.headers" idempotent-replayed)" = "true" ] && replayed=yes && replays=$((replays + 1))
    [ "$kind" = gave_up ] && gave_up=$((gave_up + 1))
    statuses+="$status"$'\n'
    if [ -n "$payment_id" ]; then
      ids+="$payment_id"$'\n'
      [ "$kind" = succeeded ] && succeeded_ids+="$payment_id"$'\n'
      if [ -z "${reference_body:-}" ]; then
        reference_body=$out.body
      elif ! cmp -s "$reference_body" "$out.body"; then
        bodies_differ=yes
      fi
    fi
    say "   #$i → HTTP $status${code:+ $code}, ${payment_id:+payment $payment_id }$kind, Idempotent-Replayed: $replayed, $(read_or "$out.attempts" 0) attempt(s)"
  done
  distinct=$(printf '%s' "$ids" | sort -u | grep -c . || true)
  distinct_succeeded=$(printf '%s' "$succeeded_ids" | sort -u | grep -c . || true)
  say "   → statuses: $(printf '%s' "$statuses" | sort | uniq -c | awk '{ printf "%s%s×%s", (NR > 1 ? ", " : ""), $1, $2 }')"
  say "   → replays: $replays of $burst; gave up: $gave_up"
  say "   → distinct payments: $distinct ($(printf '%s' "$ids" | sort -u | paste -sd ' ' -))"
  [ "$distinct" -le 1 ] || fail "the burst created $distinct payments with one key"
  [ -z "$bodies_differ" ] || fail "the burst's answers for one payment differ"
  [ "$distinct" -eq 1 ] || {
    say "GAVE UP: no request of the burst got a final answer; retry later with the SAME key: $burst_key"
    exit "$EXIT_GAVE_UP"
  }
  [ "$distinct_succeeded" -eq 1 ] || {
    say "NOT CHARGED: the burst's payment $(printf '%s' "$ids" | head -n 1) did not succeed"
    exit "$EXIT_FAILED"
  }
  burst_summary="; burst: $replays replays of payment $(printf '%s' "$succeeded_ids" | head -n 1)"
fi

case "$first_kind" in
  succeeded)
    if [ -n "$burst_summary" ]; then
      say "OK: charged once per key (payment $first_id$burst_summary)."
    else
      say "OK: charged once (payment $first_id)."
    fi
    exit "$EXIT_OK"
    ;;
  declined)
    say "NOT CHARGED: the card was declined ($first_decline); payment $first_id is failed."
    exit "$EXIT_DECLINED"
    ;;
  requires_action)
    say "NOT CHARGED: payment $first_id requires_action (3-D Secure); nothing is charged until it is completed."
    exit "$EXIT_REQUIRES_ACTION"
    ;;
  *)
    say "NOT CHARGED: payment $first_id is $first_payment_status."
    exit "$EXIT_PENDING"
    ;;
esac
