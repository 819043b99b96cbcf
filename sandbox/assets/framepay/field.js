/*
 * rebilly-sandbox FramePay stand-in: one card field, inside an iframe served by the sandbox.
 *
 * The shop's page (framepay.js) sees only events and the token. The field checks what the
 * shopper types (Luhn, expiry, CVV); the frame holding the number gathers the expiry and CVV
 * of its sibling frames (same origin, same group) and makes the token itself with POST /tokens.
 */
(function (window, document) {
  'use strict';

  var params = new URLSearchParams(window.location.hash.slice(1));
  var KIND = params.get('kind') || 'card';
  var ID = params.get('id') || '';
  var GROUP = params.get('group') || '';
  var PARENT_ORIGIN = params.get('origin') || '*';
  var TARGET_ORIGIN = PARENT_ORIGIN === 'null' ? '*' : PARENT_ORIGIN;
  var STYLE_PROPERTIES = ['color', 'fontFamily', 'fontSize', 'fontWeight', 'fontStyle',
    'lineHeight', 'letterSpacing', 'textAlign', 'backgroundColor', 'padding'];
  var settings = null;
  var inputs = {};
  var touched = {};
  var ready = false;

  function send(type, extra) {
    var message = Object.assign({ framepaySandbox: true, type: type, id: ID }, extra || {});
    window.parent.postMessage(message, TARGET_ORIGIN);
  }

  function emit(event, payload) {
    send('event', { event: event, payload: payload || {} });
  }

  function digits(value) { return (value || '').replace(/\D/g, ''); }

  function brand(number) {
    if (/^4/.test(number)) return 'Visa';
    if (/^(5[1-5]|2[2-7])/.test(number)) return 'MasterCard';
    if (/^3[47]/.test(number)) return 'American Express';
    if (/^(6011|65|64[4-9])/.test(number)) return 'Discover';
    if (/^35/.test(number)) return 'JCB';
    if (/^3(0[0-5]|[689])/.test(number)) return 'Diners Club';
    return null;
  }

  function luhn(number) {
    var sum = 0;
    for (var i = 0; i < number.length; i++) {
      var digit = Number(number[number.length - 1 - i]);
      if (i % 2 === 1) { digit *= 2; if (digit > 9) digit -= 9; }
      sum += digit;
    }
    return sum % 10 === 0;
  }

  function problem(code, message) { return { code: code, type: code, message: message }; }

  // Each check answers {value, complete, error}: complete once nothing more is expected.
  var CHECKS = {
    number: function (raw) {
      var number = digits(raw);
      var full = brand(number) === 'American Express' ? 15 : 16;
      var complete = number.length >= full;
      var error = null;
      if (!number) error = problem('invalid-card-number', 'The card number is required.');
      else if (number.length < 12 || number.length > 19 || !luhn(number)) {
        error = problem('invalid-card-number', 'The card number is not valid.');
      }
      return { value: number, complete: complete, error: error, brand: brand(number) };
    },
    expiry: function (raw) {
      var match = /^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/.exec(raw || '');
      var error = null;
      var value = null;
      if (!match) {
        error = problem('invalid-expiration', raw ? 'The expiration date is not valid.'
          : 'The expiration date is required.');
      } else {
        var month = Number(match[1]);
        var year = Number(match[2].length === 2 ? '20' + match[2] : match[2]);
        var now = new Date();
        if (month < 1 || month > 12) {
          error = problem('invalid-expiration', 'The expiration month is not valid.');
        } else if (year < now.getFullYear() ||
                   (year === now.getFullYear() && month < now.getMonth() + 1)) {
          error = problem('invalid-expiration', 'The card has expired.');
        }
        value = { expMonth: month, expYear: year };
      }
      return { value: value, complete: !!match, error: error };
    },
    cvv: function (raw) {
      var cvv = digits(raw);
      var error = /^\d{3,4}$/.test(cvv) ? null
        : problem('invalid-cvv', cvv ? 'The security code is not valid.'
          : 'The security code is required.');
      return { value: cvv, complete: cvv.length >= 3, error: error };
    },
  };

  var FIELDS = {
    card: ['number', 'expiry', 'cvv'],
    cardNumber: ['number'],
    cardExpiration: ['expiry'],
    cardCvv: ['cvv'],
  }[KIND] || ['number', 'expiry', 'cvv'];

  var INPUT = {
    number: { autocomplete: 'cc-number', name: 'cardnumber', placeholder: 'Card number',
      label: 'Card number', maxLength: 23 },
    expiry: { autocomplete: 'cc-exp', name: 'exp-date', placeholder: 'MM / YY',
      label: 'Expiration date', maxLength: 9 },
    cvv: { autocomplete: 'cc-csc', name: 'cvc', placeholder: 'CVV',
      label: 'Security code', maxLength: 4 },
  };

  function format(field, value) {
    if (field === 'number') {
      var number = digits(value).slice(0, 19);
      if (brand(number) === 'American Express') {
        return [number.slice(0, 4), number.slice(4, 10), number.slice(10)].filter(Boolean)
          .join(' ');
      }
      return number.replace(/(\d{4})(?=\d)/g, '$1 ');
    }
    if (field === 'expiry') {
      var d = digits(value).slice(0, 6);
      return d.length > 2 ? d.slice(0, 2) + ' / ' + d.slice(2) : d;
    }
    return digits(value).slice(0, 4);
  }

  function state() {
    var result = { valid: true, complete: true, empty: true, error: null, source: KIND,
      brand: null };
    FIELDS.forEach(function (field) {
      var check = CHECKS[field](inputs[field].value);
      var shown = check.error && (touched[field] || check.complete) ? check.error : null;
      if (inputs[field].value) result.empty = false;
      if (check.error) result.valid = false;
      if (!check.complete) result.complete = false;
      if (shown && !result.error) result.error = shown;
      if (field === 'number') result.brand = check.brand;
      inputs[field].classList.toggle('invalid', !!shown);
      inputs[field].setAttribute('aria-invalid', shown ? 'true' : 'false');
      applyStyle(inputs[field], shown ? 'invalid' : 'base');
    });
    return result;
  }

  function changed() { emit('change', state()); }

  function applyStyle(input, variant) {
    var style = settings && settings.style;
    var rules = Object.assign({}, (style && style.base) || {}, (style && style[variant]) || {});
    STYLE_PROPERTIES.forEach(function (name) {
      input.style[name] = typeof rules[name] === 'string' || typeof rules[name] === 'number'
        ? String(rules[name]) : '';
    });
  }

  function build() {
    var root = document.getElementById('field');
    FIELDS.forEach(function (field) {
      var spec = INPUT[field];
      var input = document.createElement('input');
      input.type = 'text';
      input.inputMode = 'numeric';
      input.className = field;
      input.name = spec.name;
      input.autocomplete = spec.autocomplete;
      input.placeholder = spec.placeholder;
      input.maxLength = spec.maxLength;
      input.setAttribute('aria-label', spec.label);
      input.spellcheck = false;
      input.addEventListener('input', function () {
        var formatted = format(field, input.value);
        if (formatted !== input.value) input.value = formatted;
        changed();
      });
      input.addEventListener('focus', function () { emit('focus', { source: KIND }); });
      input.addEventListener('blur', function () {
        touched[field] = true;
        emit('blur', { source: KIND });
        changed();
      });
      inputs[field] = input;
      root.appendChild(input);
    });
  }

  function configure(message) {
    settings = message;
    var placeholders = message.placeholders || {};
    FIELDS.forEach(function (field) {
      var text = placeholders[field === 'expiry' ? 'expiry' : field];
      if (typeof text === 'string') inputs[field].placeholder = text;
    });
    changed();
    if (!ready) {
      ready = true;
      emit('resize', { height: document.body.scrollHeight });
      emit('ready', { source: KIND });
    }
  }

  // What this field holds, for the sibling frame that makes the token (same origin only).
  window.framepayField = {
    group: GROUP,
    read: function () {
      var parts = {};
      FIELDS.forEach(function (field) {
        touched[field] = true;
        parts[field] = CHECKS[field](inputs[field].value);
      });
      changed();
      return parts;
    },
  };

  function gather() {
    var parts = window.framepayField.read();
    var frames = window.parent.frames;
    for (var i = 0; i < frames.length; i++) {
      var sibling = null;
      try {
        sibling = frames[i] !== window && frames[i].framepayField;
      } catch (e) { sibling = null; } // another origin's frame
      if (sibling && sibling.group === GROUP) {
        var theirs = sibling.read();
        Object.keys(theirs).forEach(function (field) {
          if (!parts[field]) parts[field] = theirs[field];
        });
      }
    }
    return parts;
  }

  function tokenize(message) {
    var parts = gather();
    var details = [];
    ['number', 'expiry', 'cvv'].forEach(function (field) {
      if (!parts[field]) details.push(INPUT[field].label + ' field is not mounted.');
      else if (parts[field].error) details.push(parts[field].error.message);
    });
    if (details.length) {
      send('token', { request: message.request, ok: false,
        error: { code: 'invalid-payment-card', type: 'invalid-payment-card',
          message: 'The card is not valid: ' + details.join(' '), details: details } });
      return;
    }
    var body = Object.assign({}, message.body || {}, {
      method: 'payment-card',
      paymentInstrument: {
        pan: parts.number.value, cvv: parts.cvv.value,
        expMonth: parts.expiry.value.expMonth, expYear: parts.expiry.value.expYear,
      },
    });
    if (body.billingAddress && !Object.keys(body.billingAddress).length) {
      delete body.billingAddress;
    }
    var organization = settings.organizationId;
    var path = (organization ? '/organizations/' + encodeURIComponent(organization) : '')
      + '/tokens';
    fetch(path, {
      method: 'POST',
      headers: { 'Authorization': settings.publishableKey, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'omit',
    }).then(function (response) {
      return response.text().then(function (text) {
        var json = null;
        try { json = JSON.parse(text); } catch (e) { json = null; }
        if (response.status === 201 && json) {
          send('token', { request: message.request, ok: true, token: json });
        } else {
          send('token', { request: message.request, ok: false, error: apiError(response, json) });
        }
      });
    }, function (failure) {
      send('token', { request: message.request, ok: false,
        error: { code: 'network-error', type: 'network-error',
          message: 'The sandbox could not be reached: ' + failure.message, details: [] } });
    });
  }

  function apiError(response, json) {
    var status = response.status;
    var code = status === 401 || status === 403 ? 'unauthorized'
      : status === 422 ? 'validation-error' : status === 429 ? 'too-many-requests' : 'api-error';
    var details = ((json && json.invalidFields) || []).map(function (field) {
      return field.field + ': ' + field.message;
    });
    var message = (json && (json.detail || json.title)) || ('HTTP ' + status);
    return { code: code, type: code, message: message, details: details, status: status };
  }

  window.addEventListener('message', function (event) {
    var data = event.data;
    if (event.source !== window.parent || !data || data.framepaySandbox !== true) return;
    if (PARENT_ORIGIN !== '*' && PARENT_ORIGIN !== 'null' && event.origin !== PARENT_ORIGIN) {
      return;
    }
    var first = inputs[FIELDS[0]];
    if (data.type === 'configure') configure(data);
    else if (!settings) return;
    else if (data.type === 'tokenize') tokenize(data);
    else if (data.type === 'focus') first.focus();
    else if (data.type === 'blur') document.activeElement && document.activeElement.blur();
    else if (data.type === 'clear') {
      FIELDS.forEach(function (field) { inputs[field].value = ''; touched[field] = false; });
      changed();
    }
  });

  build();
  send('loaded');
})(window, document);
