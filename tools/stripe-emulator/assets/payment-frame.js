// The card form of the Stripe emulator's Payment Element, in the "Secure payment input frame" the
// stand-in Stripe.js (stripe-js.js) puts on the merchant's page. It runs on the emulator's origin,
// so the page's script never sees card data: it asks this frame to validate (elements.submit) and
// to create a ConfirmationToken or PaymentMethod, which this frame does with the publishable key.
// Messages go only to the parent origin named in the frame's URL, and are accepted only from the
// parent window at that origin. Error messages are Stripe's own (the Payment Element's wording).
(() => {
  "use strict";

  const query = new URLSearchParams(window.location.search);
  const publishableKey = query.get("key") ?? "";
  const parentOrigin = query.get("parent_origin") ?? "";
  const TAG = "payment-frame";

  // The prefixes of card-data.ts's BRANDS (stripe-js-assets.test.ts keeps them in step), with
  // what only the form needs: how a number is grouped as it is typed.
  const BRANDS = [
    { brand: "amex", label: "American Express", prefix: /^3[47]/, lengths: [15], gaps: [4, 10], cvc: 4 },
    { brand: "diners", label: "Diners Club", prefix: /^3(0[0-5]|[689])/, lengths: [14, 16], gaps: [4, 10], cvc: 3 },
    { brand: "jcb", label: "JCB", prefix: /^35/, lengths: [16], gaps: [4, 8, 12], cvc: 3 },
    { brand: "discover", label: "Discover", prefix: /^(6011|64[4-9]|65)/, lengths: [16], gaps: [4, 8, 12], cvc: 3 },
    { brand: "unionpay", label: "UnionPay", prefix: /^62/, lengths: [16], gaps: [4, 8, 12], cvc: 3 },
    {
      brand: "mastercard",
      label: "Mastercard",
      prefix: /^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/,
      lengths: [16],
      gaps: [4, 8, 12],
      cvc: 3,
    },
    { brand: "visa", label: "Visa", prefix: /^4/, lengths: [16], gaps: [4, 8, 12], cvc: 3 },
  ];
  const UNKNOWN = { brand: "unknown", label: "", prefix: /^/, lengths: [16], gaps: [4, 8, 12], cvc: 3 };

  const form = document.getElementById("card-form");
  const fields = {
    number: field("number"),
    expiry: field("expiry"),
    cvc: field("cvc"),
    postal: field("postal"),
  };
  const brandBadge = document.getElementById("number-brand");

  function field(name) {
    return { input: document.getElementById(name), error: document.getElementById(`${name}-error`), touched: false, shown: null };
  }

  if (!isValidParent()) {
    form.hidden = true;
    document.getElementById("frame-error").textContent =
      "This payment form only works inside the page that opened it, through the Stripe emulator's Stripe.js.";
    return;
  }

  function isValidParent() {
    if (window.parent === window || !/^pk_test_\w+$/.test(publishableKey)) return false;
    let origin;
    try {
      origin = new URL(parentOrigin).origin;
    } catch {
      return false;
    }
    if (origin !== parentOrigin) return false;
    // Chromium and WebKit say who the parent really is; a frame claiming another parent is refused.
    const ancestors = window.location.ancestorOrigins;
    return ancestors === undefined || ancestors.length === 0 || ancestors[0] === parentOrigin;
  }

  function post(message) {
    window.parent.postMessage({ ...message, stripeEmulator: TAG }, parentOrigin);
  }

  // ---------------------------------------------------------------- reading and checking the card

  function digitsOf(value) {
    return value.replace(/\D/g, "");
  }

  function brandOf(number) {
    return BRANDS.find((candidate) => candidate.prefix.test(number)) ?? UNKNOWN;
  }

  function passesLuhn(number) {
    let sum = 0;
    for (let index = 0; index < number.length; index += 1) {
      let digit = Number(number[number.length - 1 - index]);
      if (index % 2 === 1) {
        digit *= 2;
        if (digit > 9) digit -= 9;
      }
      sum += digit;
    }
    return sum % 10 === 0;
  }

  function currentBrand() {
    return brandOf(digitsOf(fields.number.input.value));
  }

  /** Each check answers null (complete and valid) or the error Stripe's Payment Element shows. */
  const checks = {
    number(value) {
      const number = digitsOf(value);
      const brand = brandOf(number);
      if (number.length < Math.min(...brand.lengths) || (!brand.lengths.includes(number.length) && number.length < Math.max(...brand.lengths))) {
        return { code: "incomplete_number", message: "Your card number is incomplete." };
      }
      if (!passesLuhn(number)) return { code: "invalid_number", message: "Your card number is invalid." };
      return null;
    },
    expiry(value) {
      const digits = digitsOf(value);
      if (digits.length < 4) return { code: "incomplete_expiry", message: "Your card's expiration date is incomplete." };
      const month = Number(digits.slice(0, 2));
      const year = 2000 + Number(digits.slice(2, 4));
      const now = new Date();
      if (month < 1 || month > 12) return { code: "invalid_expiry_month", message: "Your card's expiration month is invalid." };
      if (year < now.getFullYear()) {
        return { code: "invalid_expiry_year_past", message: "Your card's expiration year is in the past." };
      }
      if (year === now.getFullYear() && month < now.getMonth() + 1) {
        return { code: "invalid_expiry_month_past", message: "Your card's expiration date is in the past." };
      }
      if (year > now.getFullYear() + 50) return { code: "invalid_expiry_year", message: "Your card's expiration year is invalid." };
      return null;
    },
    cvc(value) {
      if (digitsOf(value).length < currentBrand().cvc) {
        return { code: "incomplete_cvc", message: "Your card's security code is incomplete." };
      }
      return null;
    },
    postal(value) {
      const postal = value.trim();
      if (postal.length < 3 || (/^\d+$/.test(postal) && postal.length < 5)) {
        return { code: "incomplete_zip", message: "Your postal code is incomplete." };
      }
      return null;
    },
  };

  function showError(name, error) {
    const { input, error: node } = fields[name];
    fields[name].shown = error;
    node.textContent = error === null ? "" : error.message;
    if (error === null) input.removeAttribute("aria-invalid");
    else input.setAttribute("aria-invalid", "true");
  }

  function state() {
    const errors = Object.keys(fields).map((name) => checks[name](fields[name].input.value));
    return {
      complete: errors.every((error) => error === null),
      empty: Object.values(fields).every(({ input }) => input.value.trim() === ""),
    };
  }

  function notifyChange() {
    post({ type: "change", ...state() });
  }

  // ---------------------------------------------------------------- formatting as the customer types

  function formatNumber(digits, brand) {
    let formatted = "";
    for (let index = 0; index < digits.length; index += 1) {
      if (brand.gaps.includes(index)) formatted += " ";
      formatted += digits[index];
    }
    return formatted;
  }

  /** Puts `formatted` in the input, keeping the caret after the same number of digits as before. */
  function replaceKeepingCaret(input, formatted) {
    const caret = input.selectionStart ?? input.value.length;
    const digitsBefore = digitsOf(input.value.slice(0, caret)).length;
    input.value = formatted;
    let position = 0;
    let seen = 0;
    while (position < formatted.length && seen < digitsBefore) {
      if (/\d/.test(formatted[position])) seen += 1;
      position += 1;
    }
    input.setSelectionRange(position, position);
  }

  function formatExpiry(value, deleting) {
    let digits = digitsOf(value).slice(0, 4);
    // "4" can only be April: written 04, as Stripe's field does.
    if (digits.length === 1 && digits > "1") digits = `0${digits}`;
    if (digits.length < 2) return digits;
    if (digits.length === 2) return deleting ? digits : `${digits} / `;
    return `${digits.slice(0, 2)} / ${digits.slice(2)}`;
  }

  function onInput(name, event) {
    const item = fields[name];
    const { input } = item;
    const deleting = typeof event.inputType === "string" && event.inputType.startsWith("delete");
    if (name === "number") {
      const brand = brandOf(digitsOf(input.value));
      replaceKeepingCaret(input, formatNumber(digitsOf(input.value).slice(0, Math.max(...brand.lengths)), brand));
      brandBadge.textContent = brand.label;
      // The number never runs under the brand's name.
      input.style.paddingRight = brand.label === "" ? "" : `${brandBadge.offsetWidth + 20}px`;
      // An Amex code is four digits, others three: a code typed for another brand is cut to fit.
      fields.cvc.input.maxLength = brand.cvc;
      fields.cvc.input.value = digitsOf(fields.cvc.input.value).slice(0, brand.cvc);
      fields.cvc.input.placeholder = brand.cvc === 4 ? "1234" : "123";
    } else if (name === "expiry") {
      input.value = formatExpiry(input.value, deleting);
    } else if (name === "cvc") {
      input.value = digitsOf(input.value).slice(0, currentBrand().cvc);
    }
    if (input.value.trim() !== "") item.touched = true;

    const error = checks[name](input.value);
    // An error already shown follows the value; an invalid (not merely unfinished) value shows at once.
    if (item.shown !== null || (error !== null && !error.code.startsWith("incomplete"))) showError(name, error);
    if (name === "number" && fields.cvc.shown !== null) showError("cvc", checks.cvc(fields.cvc.input.value));
    if (error === null && !deleting) advanceFrom(name);
    notifyChange();
  }

  /** As on Stripe's form, a completed field moves the customer on to the next one. */
  function advanceFrom(name) {
    const next = { number: "expiry", expiry: "cvc" }[name];
    if (next !== undefined && fields[next].input.value === "") fields[next].input.focus();
  }

  for (const name of Object.keys(fields)) {
    const { input } = fields[name];
    input.addEventListener("input", (event) => onInput(name, event));
    input.addEventListener("blur", () => {
      if (fields[name].touched) showError(name, checks[name](input.value));
    });
  }

  // Focus and blur of the form as a whole, as the Payment Element reports them.
  let focused = false;
  form.addEventListener("focusin", () => {
    if (!focused) {
      focused = true;
      post({ type: "focus" });
    }
  });
  form.addEventListener("focusout", (event) => {
    if (event.relatedTarget instanceof Node && form.contains(event.relatedTarget)) return;
    focused = false;
    post({ type: "blur" });
  });
  form.addEventListener("submit", (event) => event.preventDefault());

  // ---------------------------------------------------------------- what the page asks for

  /** elements.submit(): every field's error shown, the first invalid one focused. */
  function validateAll() {
    let first = null;
    for (const name of Object.keys(fields)) {
      const error = checks[name](fields[name].input.value);
      fields[name].touched = true;
      showError(name, error);
      if (error !== null && first === null) first = { name, error };
    }
    if (first === null) return null;
    fields[first.name].input.focus();
    return { type: "validation_error", code: first.error.code, message: first.error.message };
  }

  /** A ConfirmationToken or PaymentMethod of the card, made here with the publishable key. */
  async function create(kind, params) {
    const invalid = validateAll();
    if (invalid !== null) return { error: invalid };
    const expiry = digitsOf(fields.expiry.input.value);
    const card = {
      number: digitsOf(fields.number.input.value),
      exp_month: expiry.slice(0, 2),
      exp_year: `20${expiry.slice(2, 4)}`,
      cvc: digitsOf(fields.cvc.input.value),
    };
    const collected = { address: { postal_code: fields.postal.input.value.trim() } };
    let path;
    let body;
    if (kind === "confirmation_token") {
      const { payment_method_data: data = {}, ...rest } = params;
      path = "/v1/confirmation_tokens";
      // What the page passes takes precedence over what the Element collected (Stripe.js's rule).
      body = { ...rest, payment_method_data: { ...data, type: "card", card, billing_details: merge(collected, data.billing_details) } };
    } else {
      path = "/v1/payment_methods";
      body = { ...params, type: "card", card, billing_details: merge(collected, params.billing_details) };
    }
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: { Authorization: `Bearer ${publishableKey}`, "Content-Type": "application/x-www-form-urlencoded" },
        body: encodeForm(body),
      });
    } catch {
      return { error: { type: "api_connection_error", message: "Could not reach the Stripe emulator." } };
    }
    const json = await response.json().catch(() => null);
    if (!response.ok || json === null) {
      return { error: (json && json.error) || { type: "api_error", message: `The Stripe emulator answered ${response.status}.` } };
    }
    return kind === "confirmation_token" ? { confirmationToken: json } : { paymentMethod: json };
  }

  function merge(base, override) {
    if (typeof override !== "object" || override === null) return base;
    const result = { ...base };
    for (const [key, value] of Object.entries(override)) {
      result[key] = typeof value === "object" && value !== null && typeof base[key] === "object" ? merge(base[key], value) : value;
    }
    return result;
  }

  /** Stripe's form encoding: `payment_method_data[card][number]=…`. */
  function encodeForm(value, prefix = "", pairs = new URLSearchParams()) {
    for (const [key, entry] of Object.entries(value)) {
      const name = prefix === "" ? key : `${prefix}[${key}]`;
      if (entry === undefined) continue;
      if (typeof entry === "object" && entry !== null) encodeForm(entry, name, pairs);
      else pairs.append(name, entry === null ? "" : String(entry));
    }
    return pairs;
  }

  function clear() {
    for (const name of Object.keys(fields)) {
      fields[name].input.value = "";
      fields[name].touched = false;
      showError(name, null);
    }
    brandBadge.textContent = "";
    fields.number.input.style.paddingRight = "";
    notifyChange();
  }

  window.addEventListener("message", async (event) => {
    if (event.origin !== parentOrigin || event.source !== window.parent) return;
    const data = event.data;
    if (typeof data !== "object" || data === null) return;
    switch (data.type) {
      case "submit": {
        const error = validateAll();
        post({ type: "reply", requestId: data.requestId, result: error === null ? {} : { error } });
        return;
      }
      case "create": {
        const params = typeof data.params === "object" && data.params !== null ? data.params : {};
        const kind = data.kind === "payment_method" ? "payment_method" : "confirmation_token";
        post({ type: "reply", requestId: data.requestId, result: await create(kind, params) });
        return;
      }
      case "focus":
        fields.number.input.focus();
        return;
      case "blur":
        if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
        return;
      case "clear":
        clear();
        return;
    }
  });

  // The frame is as tall as its form, whatever errors show: the page sizes the iframe to it.
  let lastHeight = 0;
  new ResizeObserver(() => {
    const height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      post({ type: "resize", height });
    }
  }).observe(document.body);

  post({ type: "ready" });
})();
