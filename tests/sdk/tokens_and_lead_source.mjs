// The token list and the lead-source writes through the SDK: paymentTokens.getAll, then
// customers.createLeadSource, updateLeadSource, getLeadSource and deleteLeadSource.
import { attempt, cardToken, run, sandboxApi } from './harness.mjs';

run(async () => {
    const api = sandboxApi();
    const results = {};
    for (const pan of ['4111111111111111', '5555555555554444', '378282246310005']) {
        await attempt(() => api.paymentTokens.create({ data: cardToken(pan) }));
    }
    results.tokens = await attempt(() => api.paymentTokens.getAll({ limit: 2, offset: 1 }));
    results.customer = await attempt(() => api.customers.create({ data: {} }));
    const id = results.customer.fields?.id;
    results.created = await attempt(() => api.customers.createLeadSource({
        id, data: { source: 'newsletter', medium: 'email', campaign: 'spring' },
    }));
    results.updated = await attempt(() => api.customers.updateLeadSource({
        id, data: { source: 'search', referrer: 'https://search.example/q' },
    }));
    results.read = await attempt(() => api.customers.getLeadSource({ id }));
    results.deleted = await attempt(() => api.customers.deleteLeadSource({ id }));
    results.readAfterDelete = await attempt(() => api.customers.getLeadSource({ id }));
    return results;
});
