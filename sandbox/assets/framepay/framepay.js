/*
 * rebilly-sandbox: a stand-in for Rebilly's FramePay (https://framepay.rebilly.com/framepay.js).
 *
 * Defines the global `Framepay` with the API FramePay's documentation and @rebilly/framepay-vue
 * use. Card fields are iframes served by the sandbox (field.html), so the card number never
 * reaches this page: the frame holding the number makes the token with POST /tokens and the
 * publishable key, and hands back only the token. Plain JavaScript, no build step.
 */
(function (window, document) {
  'use strict';

  var script = document.currentScript;
  var SANDBOX_URL = String(window.REBILLY_SANDBOX_URL ||
    (script && script.src ? new URL(script.src, document.baseURI).origin : window.location.origin))
    .replace(/\/+$/, '');
  var SANDBOX_ORIGIN = new URL(SANDBOX_URL).origin;
  var CARD_KINDS = ['card', 'cardNumber', 'cardCvv', 'cardExpiration'];
  var BILLING_FIELDS = ['firstName', 'lastName', 'organization', 'address', 'address2', 'city',
    'region', 'country', 'postalCode'];
  var LIST_FIELDS = ['emails', 'phoneNumbers'];
  var group = Math.random().toString(36).slice(2) + Date.now().toString(36);
  var sequence = 0;
  var config = null;
  var listeners = {};
  var elements = {};
  var pending = {};
  var readyFired = false;

  function error(code, message, details) {
    return { code: code, type: code, message: message, details: details || [] };
  }

  function emit(table, event, payload) {
    (table[event] || []).slice().forEach(function (handler) {
      try { handler(payload); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }

  function on(table, event, handler) {
    if (typeof handler !== 'function') return;
    (table[event] = table[event] || []).push(handler);
  }

  function off(table, event, handler) {
    table[event] = (table[event] || []).filter(function (h) { return h !== handler; });
  }

  function target(selectorOrElement) {
    var node = selectorOrElement;
    if (typeof selectorOrElement === 'string') {
      node = document.getElementById(selectorOrElement);
      if (!node) {
        try { node = document.querySelector(selectorOrElement); } catch (e) { node = null; }
      }
    }
    if (!node || !node.appendChild) {
      throw error('invalid-element', 'No element to mount the field in: ' + selectorOrElement);
    }
    return node;
  }

  function post(element, message) {
    if (!element.frame.contentWindow) return;
    message.framepaySandbox = true;
    element.frame.contentWindow.postMessage(message, SANDBOX_ORIGIN);
  }

  function frameSettings() {
    return {
      type: 'configure',
      publishableKey: config.publishableKey,
      organizationId: config.organizationId || null,
      style: config.style || null,
      placeholders: (config.placeholders && config.placeholders.card) || null,
      locale: config.locale || null,
    };
  }

  function setClasses(element, state) {
    var classes = Object.assign({
      base: 'rebilly-framepay', focus: 'rebilly-framepay-focus',
      valid: 'rebilly-framepay-valid', invalid: 'rebilly-framepay-invalid',
      buttons: 'rebilly-framepay-buttons',
    }, (config && config.classes) || {});
    var list = element.container.classList;
    list.add(classes.base);
    if ('focus' in state) list.toggle(classes.focus, state.focus);
    if ('valid' in state) {
      list.toggle(classes.valid, state.valid === true);
      list.toggle(classes.invalid, !!state.error);
    }
  }

  function mountCard(selectorOrElement, kind) {
    if (!config) throw error('not-initialized', 'Call Framepay.initialize() first.');
    kind = kind || 'card';
    if (CARD_KINDS.indexOf(kind) < 0) {
      throw error('invalid-element-type', 'Unknown card element type: ' + kind);
    }
    var id = 'f' + (++sequence);
    var container = target(selectorOrElement);
    var frame = document.createElement('iframe');
    var params = new URLSearchParams({
      kind: kind, id: id, group: group, origin: window.location.origin,
    });
    frame.src = SANDBOX_URL + '/_sandbox/framepay/field.html#' + params.toString();
    frame.name = 'framepay-' + kind + '-' + id;
    frame.title = 'Secure card field';
    frame.setAttribute('frameborder', '0');
    frame.setAttribute('scrolling', 'no');
    frame.setAttribute('allowtransparency', 'true');
    frame.className = 'rebilly-framepay-frame';
    var element = {
      id: id, kind: kind, frame: frame, container: container, handlers: {}, state: {},
      on: function (event, handler) { on(this.handlers, event, handler); return this; },
      off: function (event, handler) { off(this.handlers, event, handler); return this; },
      focus: function () { post(this, { type: 'focus' }); },
      blur: function () { post(this, { type: 'blur' }); },
      clear: function () { post(this, { type: 'clear' }); },
      update: function () { post(this, frameSettings()); },
      destroy: function () {
        if (frame.parentNode) frame.parentNode.removeChild(frame);
        delete elements[id];
        this.handlers = {};
      },
    };
    elements[id] = element;
    container.appendChild(frame);
    setClasses(element, {});
    return element;
  }

  function unsupported(name) {
    return {
      mount: function () {
        throw error('unsupported-element', 'The sandbox stand-in has no ' + name + ' element.');
      },
    };
  }

  function readForm(form) {
    var billing = {};
    if (!form || !form.querySelectorAll) return billing;
    form.querySelectorAll('[data-rebilly]').forEach(function (input) {
      var name = input.getAttribute('data-rebilly');
      var value = (input.value || '').trim();
      if (!value) return;
      if (BILLING_FIELDS.indexOf(name) >= 0) {
        billing[name] = value;
      } else if (LIST_FIELDS.indexOf(name) >= 0) {
        billing[name] = (billing[name] || []).concat(
          [{ label: 'main', value: value, primary: !billing[name] }]);
      } else if (name === 'fullName') {
        var parts = value.split(/\s+/);
        billing.firstName = billing.firstName || parts.shift();
        billing.lastName = billing.lastName || parts.join(' ') || undefined;
      }
    });
    return billing;
  }

  function tokenizer() {
    var ids = Object.keys(elements);
    for (var i = 0; i < ids.length; i++) {
      var kind = elements[ids[i]].kind;
      if (kind === 'card' || kind === 'cardNumber') return elements[ids[i]];
    }
    return null;
  }

  function createToken(form, extraData) {
    return new Promise(function (resolve, reject) {
      if (!config) {
        reject(error('not-initialized', 'Call Framepay.initialize() first.'));
        return;
      }
      var element = tokenizer();
      if (!element) {
        reject(error('missing-payment-card', 'No card field is mounted.'));
        return;
      }
      var extra = extraData || {};
      var body = { billingAddress: Object.assign(readForm(form), extra.billingAddress || {}) };
      if (extra.leadSource) body.leadSource = extra.leadSource;
      if (extra.riskMetadata) body.riskMetadata = extra.riskMetadata;
      var request = 'r' + (++sequence);
      pending[request] = { resolve: resolve, reject: reject };
      post(element, { type: 'tokenize', request: request, body: body });
    }).then(function (token) {
      emit(listeners, 'token-ready', token);
      return token;
    }, function (failure) {
      emit(listeners, 'error', failure);
      throw failure;
    });
  }

  function onMessage(event) {
    var data = event.data;
    if (event.origin !== SANDBOX_ORIGIN || !data || data.framepaySandbox !== true) return;
    var element = elements[data.id];
    if (!element || event.source !== element.frame.contentWindow) return;
    if (data.type === 'loaded') {
      post(element, frameSettings());
    } else if (data.type === 'event') {
      if (data.event === 'focus' || data.event === 'blur') {
        setClasses(element, { focus: data.event === 'focus' });
      } else if (data.event === 'change') {
        setClasses(element, data.payload);
      } else if (data.event === 'resize') {
        element.frame.style.height = data.payload.height + 'px';
        return;
      }
      emit(element.handlers, data.event, data.payload);
    } else if (data.type === 'token' && pending[data.request]) {
      var settle = pending[data.request];
      delete pending[data.request];
      if (data.ok) settle.resolve(data.token); else settle.reject(data.error);
    }
  }

  window.addEventListener('message', onMessage);

  var Framepay = {
    initialized: false,
    version: 'rebilly-sandbox',
    sandboxUrl: SANDBOX_URL,
    initialize: function (settings) {
      if (!settings || !settings.publishableKey) {
        var missing = error('invalid-configuration', 'initialize() needs a publishableKey.');
        setTimeout(function () { emit(listeners, 'error', missing); });
        throw missing;
      }
      config = Object.assign({}, settings);
      Framepay.initialized = true;
      setTimeout(function () { readyFired = true; emit(listeners, 'ready'); });
    },
    update: function (settings) {
      config = Object.assign({}, config || {}, settings || {});
      Object.keys(elements).forEach(function (id) { elements[id].update(); });
    },
    on: function (event, handler) {
      on(listeners, event, handler);
      if (event === 'ready' && readyFired) setTimeout(function () { handler(); });
    },
    off: function (event, handler) { off(listeners, event, handler); },
    createToken: createToken,
    card: { mount: mountCard },
    iban: unsupported('iban'),
    bban: unsupported('bban'),
    googlePay: unsupported('googlePay'),
    applePay: unsupported('applePay'),
    paypal: unsupported('paypal'),
  };
  window.Framepay = Framepay;
})(window, document);
