// Shared by the scenario scripts: an SDK pointed at the sandbox, and results as plain JSON.
//
// A scenario reads SDK_BASE_URL and SDK_API_KEY, runs its calls in order, and prints one JSON
// line: for each call either {status, headers, fields} (a Member), {total, limit, offset, items}
// (a Collection) or {error, status, message, invalidFields} (a RebillyError). The Python test
// asserts on that line and on the sandbox's request journal.
import { RebillyAPI, RebillyErrors } from 'rebilly-js-sdk';

export function sandboxApi({ organizationId = null } = {}) {
    const url = process.env.SDK_BASE_URL;
    const apiKey = process.env.SDK_API_KEY;
    if (!url || !apiKey) {
        throw new Error('SDK_BASE_URL and SDK_API_KEY must be set');
    }
    return RebillyAPI({
        apiKey,
        sandbox: true,
        organizationId,
        timeout: 5000,
        urls: { live: url, sandbox: url },
    });
}

export function cardToken(pan, { cvv = '123', expMonth = 12, expYear = 2030 } = {}) {
    return {
        method: 'payment-card',
        paymentInstrument: { pan, cvv, expMonth, expYear },
        billingAddress: { firstName: 'Ada', lastName: 'Lovelace', country: 'GB' },
    };
}

function plainMember(member) {
    return {
        status: member.response.status,
        headers: { ...member.response.headers },
        fields: member.fields,
    };
}

function plainCollection(collection) {
    return {
        total: collection.total,
        limit: collection.limit,
        offset: collection.offset,
        items: collection.items.map((item) => item.fields),
    };
}

function plainError(error) {
    return {
        error: error.name,
        status: error.status ?? null,
        message: error.message,
        invalidFields: error.invalidFields ?? null,
    };
}

/** Run one SDK call: its result, or the RebillyError it threw, as plain JSON. */
export async function attempt(call) {
    try {
        const result = await call();
        return Array.isArray(result.items) ? plainCollection(result) : plainMember(result);
    } catch (error) {
        if (error instanceof RebillyErrors.RebillyError) {
            return plainError(error);
        }
        throw error;
    }
}

/** Print what the scenario returns as one JSON line; anything unexpected exits non-zero. */
export async function run(scenario) {
    try {
        const results = await scenario();
        process.stdout.write(`${JSON.stringify(results)}\n`);
    } catch (error) {
        process.stderr.write(`${error.stack ?? error}\n`);
        process.exitCode = 1;
    }
}
