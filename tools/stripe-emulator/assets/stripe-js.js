// The Stripe emulator's stand-in for Stripe.js v3, served at `<emulator>/v3`: what a page needs to
// pay with the Payment Element in "finalize payments on the server" mode
// (docs.stripe.com/payments/finalize-payments-on-the-server), offline. Plain ES2020, no build step,
// nothing fetched from anywhere but the emulator that served it.
//
// As in Stripe.js, card data never reaches the page's own script: the card form lives in a frame
// served by the emulator ("Secure payment input frame"), which creates ConfirmationTokens and
// PaymentMethods itself, and the two sides talk with postMessage, each checking the other's
// origin and window. 3D Secure is shown in a modal over the page, with the emulator's challenge
// page in a frame.
//
// `__STRIPE_JS_RELEASE__` is replaced by the release the script was requested as: 3 at /v3,
// "endive" at /endive/stripe.js (the URL @stripe/stripe-js 10 loads), so that `Stripe.version`
// is what @stripe/stripe-js expects of the script it was given (docs.stripe.com/sdks/stripejs-versioning).
(() => {
  "use strict";

  const RELEASE = "__STRIPE_JS_RELEASE__";
  const script = document.currentScript;
  if (!(script instanceof HTMLScriptElement) || script.src === "") {
    throw new Error("The Stripe emulator's Stripe.js must be loaded with a <script src> tag.");
  }
  if (typeof window.Stripe === "function" && window.Stripe.emulator === true) return;

  /** The emulator that served this script: its API, card frame and challenge page. */
  const EMULATOR = new URL(script.src).origin;
  const FRAME_TAG = "payment-frame";
  const AUTHENTICATION_FAILED =
    "We are unable to authenticate your payment method. Please choose a different payment method and try again.";
  const SUBMIT_FIRST =
    "elements.submit() must be called before stripe.%s(). Call elements.submit() as soon as your customer presses pay, prior to any asynchronous work.";
  /** What the emulator does not emulate: each resolves a clear error instead of doing something else. */
  const UNSUPPORTED = [
    "createToken",
    "createSource",
    "retrieveSource",
    "confirmPayment",
    "confirmSetup",
    "confirmCardPayment",
    "confirmCardSetup",
    "handleCardAction",
    "handleCardSetup",
    "retrieveSetupIntent",
    "verifyMicrodepositsForPayment",
    "collectBankAccountForPayment",
    "createRadarSession",
    "initCheckout",
    "initEmbeddedCheckout",
  ];
  /** How long a frame may take to load, and to answer a request, before the page is told. */
  const FRAME_LOAD_TIMEOUT_MS = 15000;
  const FRAME_REQUEST_TIMEOUT_MS = 30000;

  /** What `stripe.createConfirmationToken` and friends need of an Elements instance, out of the page's reach. */
  const elementsInternals = new WeakMap();

  function Stripe(publishableKey, options) {
    if (typeof publishableKey !== "string" || !/^pk_test_\w+$/.test(publishableKey)) {
      throw new Error(
        "The Stripe emulator's Stripe.js needs a test publishable key (pk_test_…); by the emulator's convention pk_test_<suffix> is the publishable key of sk_test_<suffix>.",
      );
    }
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new Error("Stripe(): options must be an object.");
    }
    const api = apiClient(publishableKey);
    const stripe = {
      // What @stripe/stripe-js and @stripe/react-stripe-js tell Stripe.js about themselves.
      _registerWrapper() {},
      registerAppInfo() {},
      elements(elementsOptions) {
        return createElements(publishableKey, elementsOptions);
      },
      createConfirmationToken(createOptions) {
        return createWithElements("createConfirmationToken", createOptions, "confirmation_token");
      },
      createPaymentMethod(createOptions) {
        return createWithElements("createPaymentMethod", createOptions, "payment_method");
      },
      handleNextAction(actionOptions) {
        return handleNextAction(api, actionOptions);
      },
      async retrievePaymentIntent(clientSecret) {
        if (!isPaymentIntentSecret(clientSecret)) return invalidSecret("retrievePaymentIntent");
        return api.retrievePaymentIntent(clientSecret);
      },
    };
    for (const name of UNSUPPORTED) {
      stripe[name] = () =>
        Promise.resolve({
          error: { type: "invalid_request_error", message: `stripe.${name}() is not supported by the Stripe emulator's Stripe.js` },
        });
    }
    return stripe;
  }
  Stripe.version = RELEASE;
  Stripe.emulator = true;
  window.Stripe = Stripe;

  // ---------------------------------------------------------------- API

  function apiClient(publishableKey) {
    return {
      /** GET /v1/payment_intents/:id with the client secret, as the publishable key may. */
      async retrievePaymentIntent(clientSecret) {
        const id = clientSecret.slice(0, clientSecret.indexOf("_secret_"));
        const query = new URLSearchParams({ client_secret: clientSecret });
        let response;
        try {
          response = await fetch(`${EMULATOR}/v1/payment_intents/${encodeURIComponent(id)}?${query}`, {
            headers: { Authorization: `Bearer ${publishableKey}` },
          });
        } catch {
          return { error: { type: "api_connection_error", message: "Could not reach the Stripe emulator." } };
        }
        const body = await response.json().catch(() => null);
        if (!response.ok || body === null) {
          return { error: (body && body.error) || { type: "api_error", message: `The Stripe emulator answered ${response.status}.` } };
        }
        return { paymentIntent: body };
      },
    };
  }

  function isPaymentIntentSecret(value) {
    return typeof value === "string" && /^pi_\w+?_secret_\w+$/.test(value);
  }

  function invalidSecret(method) {
    return {
      error: {
        type: "invalid_request_error",
        message: `stripe.${method}(): expected the client secret of a PaymentIntent (pi_…_secret_…); the Stripe emulator's Stripe.js handles PaymentIntents only.`,
      },
    };
  }

  // ---------------------------------------------------------------- Elements

  function createElements(publishableKey, options) {
    if (typeof options !== "object" || options === null) {
      throw new Error("stripe.elements(): the Stripe emulator's Stripe.js needs options {mode: 'payment', amount, currency}.");
    }
    if ("clientSecret" in options) {
      throw new Error(
        "stripe.elements(): the Stripe emulator's Stripe.js supports deferred intent creation only ({mode: 'payment', amount, currency}), not clientSecret.",
      );
    }
    if (options.mode !== "payment") {
      throw new Error(`stripe.elements(): mode must be 'payment' with the Stripe emulator's Stripe.js, not ${JSON.stringify(options.mode)}.`);
    }
    if (!Number.isInteger(options.amount) || options.amount < 0) {
      throw new Error("stripe.elements(): amount must be a non-negative integer in the currency's minor unit.");
    }
    if (typeof options.currency !== "string" || !/^[a-z]{3}$/.test(options.currency)) {
      throw new Error("stripe.elements(): currency must be a lowercase three-letter ISO code, such as 'usd'.");
    }

    const state = { options: { ...options }, payment: null };
    const listeners = eventHub();
    const elements = {
      create(type, elementOptions) {
        if (type !== "payment") {
          throw new Error(`elements.create(): the Stripe emulator's Stripe.js offers the 'payment' Element only, not '${type}'.`);
        }
        if (state.payment !== null) throw new Error("Can only create one Element of type payment.");
        state.payment = createPaymentElement(publishableKey, elementOptions, () => {
          state.payment = null;
        });
        return state.payment.element;
      },
      getElement(type) {
        return type === "payment" && state.payment !== null ? state.payment.element : null;
      },
      update(updates) {
        if (typeof updates === "object" && updates !== null) {
          const { mode, clientSecret, ...rest } = updates;
          if (clientSecret !== undefined || (mode !== undefined && mode !== "payment")) {
            throw new Error("elements.update(): the Stripe emulator's Stripe.js keeps mode 'payment' without clientSecret.");
          }
          state.options = { ...state.options, ...rest };
        }
        listeners.emit("update-end", {});
        return Promise.resolve();
      },
      fetchUpdates() {
        return Promise.resolve({});
      },
      async submit() {
        if (state.payment === null || !state.payment.isMounted()) {
          return { error: { type: "invalid_request_error", message: "elements.submit(): mount the Payment Element first." } };
        }
        return state.payment.submit();
      },
      on(event, handler) {
        listeners.on(event, handler);
        return elements;
      },
      off(event, handler) {
        listeners.off(event, handler);
        return elements;
      },
    };
    elementsInternals.set(elements, state);
    return elements;
  }

  /** createConfirmationToken / createPaymentMethod: what the mounted, submitted Payment Element holds. */
  async function createWithElements(method, options, kind) {
    const state = options && typeof options === "object" ? elementsInternals.get(options.elements) : undefined;
    if (state === undefined) {
      return {
        error: {
          type: "invalid_request_error",
          message: `stripe.${method}() with the Stripe emulator's Stripe.js takes {elements, params?}, with the Elements instance that holds the Payment Element.`,
        },
      };
    }
    if (kind === "payment_method" && state.options.paymentMethodCreation !== "manual") {
      return {
        error: {
          type: "invalid_request_error",
          message: "stripe.createPaymentMethod() with Elements needs stripe.elements({paymentMethodCreation: 'manual', …}).",
        },
      };
    }
    if (state.payment === null || !state.payment.isSubmitted()) {
      return { error: { type: "invalid_request_error", message: SUBMIT_FIRST.replace("%s", method) } };
    }
    const params = options.params === undefined ? {} : options.params;
    if (typeof params !== "object" || params === null) {
      return { error: { type: "invalid_request_error", message: `stripe.${method}(): params must be an object.` } };
    }
    return state.payment.create(kind, params);
  }

  function createPaymentElement(publishableKey, options, onDestroy) {
    const events = eventHub();
    const pending = new Map();
    let nextRequestId = 1;
    let container = null;
    let iframe = null;
    let ready = false;
    let submitted = false;
    let destroyed = false;
    let loadTimer = null;

    function onMessage(event) {
      if (iframe === null || event.origin !== EMULATOR || event.source !== iframe.contentWindow) return;
      const data = event.data;
      if (typeof data !== "object" || data === null || data.stripeEmulator !== FRAME_TAG) return;
      switch (data.type) {
        case "ready":
          if (ready) return;
          ready = true;
          clearTimeout(loadTimer);
          events.emit("ready", { elementType: "payment" });
          return;
        case "resize":
          if (Number.isFinite(data.height)) iframe.style.height = `${Math.ceil(data.height)}px`;
          return;
        case "change":
          submitted = false;
          events.emit("change", {
            elementType: "payment",
            complete: data.complete === true,
            empty: data.empty === true,
            collapsed: false,
            value: { type: "card" },
          });
          return;
        case "focus":
        case "blur":
          events.emit(data.type, { elementType: "payment" });
          return;
        case "reply": {
          const waiting = pending.get(data.requestId);
          if (waiting === undefined) return;
          pending.delete(data.requestId);
          waiting(data.result);
          return;
        }
      }
    }

    function post(message) {
      if (iframe !== null && iframe.contentWindow !== null) iframe.contentWindow.postMessage(message, EMULATOR);
    }

    /** Asks the frame to do something and waits, boundedly, for its answer. */
    function request(message) {
      if (!ready) {
        return Promise.resolve({ error: { type: "invalid_request_error", message: "The Payment Element is not ready yet." } });
      }
      const requestId = nextRequestId++;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(requestId);
          resolve({ error: { type: "api_connection_error", message: "The Payment Element did not answer in time." } });
        }, FRAME_REQUEST_TIMEOUT_MS);
        pending.set(requestId, (result) => {
          clearTimeout(timer);
          resolve(result);
        });
        post({ ...message, requestId });
      });
    }

    function detach() {
      window.removeEventListener("message", onMessage);
      clearTimeout(loadTimer);
      for (const resolve of pending.values()) {
        resolve({ error: { type: "invalid_request_error", message: "The Payment Element was unmounted." } });
      }
      pending.clear();
      if (container !== null) container.remove();
      container = null;
      iframe = null;
      ready = false;
      submitted = false;
    }

    function assertAlive() {
      if (destroyed) throw new Error("This Element has already been destroyed. Please create a new one.");
    }

    const element = {
      mount(target) {
        assertAlive();
        if (iframe !== null) {
          throw new Error("This Element is already mounted. Use `unmount()` to unmount the Element before re-mounting.");
        }
        const node = typeof target === "string" ? document.querySelector(target) : target;
        if (!(node instanceof Element)) {
          throw new Error("element.mount(): expected a DOM element or a selector that matches one.");
        }
        container = document.createElement("div");
        container.className = "StripeElement StripeEmulatorElement";
        iframe = document.createElement("iframe");
        iframe.title = "Secure payment input frame";
        iframe.setAttribute("frameborder", "0");
        iframe.setAttribute("scrolling", "no");
        iframe.setAttribute("allowtransparency", "true");
        iframe.style.cssText =
          "border:0;margin:0;padding:0;width:1px;min-width:100%;height:180px;display:block;overflow:hidden;background:transparent;color-scheme:normal;";
        const query = new URLSearchParams({ key: publishableKey, parent_origin: window.location.origin });
        iframe.src = `${EMULATOR}/elements/payment-frame?${query}`;
        window.addEventListener("message", onMessage);
        container.appendChild(iframe);
        node.appendChild(container);
        loadTimer = setTimeout(() => {
          if (!ready) {
            events.emit("loaderror", {
              elementType: "payment",
              error: { type: "api_connection_error", message: `The Payment Element could not be loaded from ${EMULATOR}.` },
            });
          }
        }, FRAME_LOAD_TIMEOUT_MS);
        return element;
      },
      unmount() {
        assertAlive();
        detach();
        return element;
      },
      destroy() {
        assertAlive();
        detach();
        destroyed = true;
        events.clear();
        onDestroy();
      },
      on(event, handler) {
        events.on(event, handler);
        return element;
      },
      off(event, handler) {
        events.off(event, handler);
        return element;
      },
      once(event, handler) {
        events.once(event, handler);
        return element;
      },
      update() {
        assertAlive();
        return element;
      },
      focus() {
        assertAlive();
        if (iframe === null) return element;
        // The page gives the frame focus first: a cross-origin frame may not take it by itself.
        iframe.focus();
        post({ type: "focus" });
        return element;
      },
      blur() {
        assertAlive();
        post({ type: "blur" });
        return element;
      },
      clear() {
        assertAlive();
        submitted = false;
        post({ type: "clear" });
        return element;
      },
      collapse() {
        assertAlive();
        return element;
      },
    };

    return {
      element,
      isMounted: () => iframe !== null,
      isSubmitted: () => submitted,
      async submit() {
        const result = await request({ type: "submit" });
        if (result.error) return { error: result.error };
        submitted = true;
        return { selectedPaymentMethod: "card" };
      },
      create(kind, params) {
        return request({ type: "create", kind, params: JSON.parse(JSON.stringify(params)) });
      },
    };
  }

  function eventHub() {
    const handlers = new Map();
    const hub = {
      on(event, handler) {
        if (typeof event !== "string" || typeof handler !== "function") {
          throw new Error("on(): expected an event name and a handler function.");
        }
        if (!handlers.has(event)) handlers.set(event, new Set());
        handlers.get(event).add(handler);
      },
      off(event, handler) {
        if (handler === undefined) handlers.delete(event);
        else handlers.get(event)?.delete(handler);
      },
      once(event, handler) {
        const wrapped = (payload) => {
          hub.off(event, wrapped);
          handler(payload);
        };
        hub.on(event, wrapped);
      },
      emit(event, payload) {
        for (const handler of [...(handlers.get(event) ?? [])]) handler(payload);
      },
      clear() {
        handlers.clear();
      },
    };
    return hub;
  }

  // ---------------------------------------------------------------- next actions (3D Secure)

  /**
   * stripe.handleNextAction({clientSecret}) (docs.stripe.com/js/payment_intents/handle_next_action):
   * a redirect sends the whole page to the challenge page; `use_stripe_sdk` shows it in a modal.
   * Resolves {paymentIntent} once authenticated, or {error} as Stripe.js reports a failed or
   * abandoned authentication (`payment_intent_authentication_failure`).
   */
  async function handleNextAction(api, options) {
    const clientSecret = options && typeof options === "object" ? options.clientSecret : undefined;
    if (!isPaymentIntentSecret(clientSecret)) return invalidSecret("handleNextAction");
    const before = await api.retrievePaymentIntent(clientSecret);
    if (before.error) return before;
    const intent = before.paymentIntent;
    const action = intent.next_action;
    if (intent.status !== "requires_action" || action === null) {
      return {
        error: {
          type: "invalid_request_error",
          code: "payment_intent_unexpected_state",
          message: `stripe.handleNextAction(): the PaymentIntent has status ${intent.status}; only a PaymentIntent with status requires_action has a next action to handle.`,
          payment_intent: intent,
        },
      };
    }
    if (action.type === "redirect_to_url") {
      window.location.assign(action.redirect_to_url.url);
      // The page is leaving; like Stripe.js, nothing resolves on this page.
      return new Promise(() => {});
    }
    if (action.type !== "use_stripe_sdk") {
      return { error: { type: "invalid_request_error", message: `Next action ${action.type} is not supported by the Stripe emulator's Stripe.js.` } };
    }
    await showChallenge(action.use_stripe_sdk.stripe_js);
    const after = await api.retrievePaymentIntent(clientSecret);
    if (after.error) return after;
    const result = after.paymentIntent;
    if (["succeeded", "processing", "requires_capture"].includes(result.status)) return { paymentIntent: result };
    const lastError = result.last_payment_error;
    if (lastError && lastError.code !== "payment_intent_authentication_failure") {
      return { error: { ...lastError, payment_intent: result } };
    }
    return {
      error: {
        type: "invalid_request_error",
        code: "payment_intent_authentication_failure",
        doc_url: "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
        message: AUTHENTICATION_FAILED,
        payment_intent: result,
        ...(lastError && lastError.payment_method ? { payment_method: lastError.payment_method } : {}),
      },
    };
  }

  /**
   * The challenge page in a modal dialog over the page, until the customer answers it, or closes
   * the dialog (the close button, or Escape), which fails the authentication as on Stripe.
   */
  function showChallenge(challengeUrl) {
    return new Promise((resolve) => {
      const frameUrl = new URL(challengeUrl);
      frameUrl.searchParams.set("parent_origin", window.location.origin);
      const previousFocus = document.activeElement;
      const previousOverflow = document.documentElement.style.overflow;
      const titleId = `stripe-emulator-3ds-title-${Math.random().toString(36).slice(2)}`;

      const overlay = document.createElement("div");
      overlay.style.cssText =
        "position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;justify-content:center;padding:16px;box-sizing:border-box;background:rgba(15,23,42,0.6);";
      const dialog = document.createElement("div");
      dialog.setAttribute("role", "dialog");
      dialog.setAttribute("aria-modal", "true");
      dialog.setAttribute("aria-labelledby", titleId);
      dialog.tabIndex = -1;
      dialog.style.cssText =
        "display:flex;flex-direction:column;width:min(100%,500px);height:min(100%,600px);background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 20px 50px rgba(15,23,42,0.35);outline:none;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#0f172a;";
      const header = document.createElement("div");
      header.style.cssText =
        "display:flex;align-items:center;justify-content:space-between;gap:12px;padding:12px 16px;border-bottom:1px solid #e2e8f0;";
      const title = document.createElement("h2");
      title.id = titleId;
      title.textContent = "Confirm your payment";
      title.style.cssText = "margin:0;font-size:16px;font-weight:600;line-height:1.4;";
      const close = document.createElement("button");
      close.type = "button";
      close.textContent = "Cancel";
      close.setAttribute("aria-label", "Cancel authentication");
      close.style.cssText =
        "font:inherit;font-size:14px;padding:6px 12px;border:1px solid #cbd5e1;border-radius:6px;background:#fff;color:#334155;cursor:pointer;";
      const frame = document.createElement("iframe");
      frame.title = "3D Secure authentication frame";
      frame.src = frameUrl.toString();
      frame.style.cssText = "flex:1;width:100%;border:0;display:block;background:#fff;";
      header.append(title, close);
      dialog.append(header, frame);
      overlay.appendChild(dialog);

      let finished = false;
      function finish() {
        if (finished) return;
        finished = true;
        window.removeEventListener("message", onMessage);
        document.removeEventListener("keydown", onKeydown, true);
        overlay.remove();
        document.documentElement.style.overflow = previousOverflow;
        if (previousFocus instanceof HTMLElement) previousFocus.focus();
        resolve();
      }
      /** Closing the dialog fails the authentication, as the challenge page's Fail button does. */
      async function cancel() {
        if (finished) return;
        overlay.style.pointerEvents = "none";
        const body = new URLSearchParams({
          payment_intent: frameUrl.searchParams.get("payment_intent") ?? "",
          source: frameUrl.searchParams.get("source") ?? "",
          result: "fail",
        });
        try {
          await fetch(`${EMULATOR}/3d_secure_2/hosted`, { method: "POST", mode: "no-cors", body, signal: AbortSignal.timeout(10000) });
        } catch {
          // The PaymentIntent is read again right after: it tells what happened.
        }
        finish();
      }
      function onMessage(event) {
        if (event.origin !== EMULATOR || event.source !== frame.contentWindow) return;
        const data = event.data;
        if (typeof data !== "object" || data === null) return;
        if (data.stripeEmulator === "3ds-answered") finish();
        else if (data.stripeEmulator === "3ds-escape") void cancel();
      }
      function onKeydown(event) {
        if (event.key === "Escape") {
          event.preventDefault();
          void cancel();
        } else if (event.key === "Tab") {
          // Focus stays in the dialog: the close button and the challenge frame.
          const order = [close, frame];
          const index = order.indexOf(document.activeElement);
          event.preventDefault();
          const next = order[(index + (event.shiftKey ? order.length - 1 : 1)) % order.length] ?? close;
          next.focus();
        }
      }
      close.addEventListener("click", () => void cancel());
      window.addEventListener("message", onMessage);
      document.addEventListener("keydown", onKeydown, true);
      document.documentElement.style.overflow = "hidden";
      document.body.appendChild(overlay);
      dialog.focus();
    });
  }
})();
