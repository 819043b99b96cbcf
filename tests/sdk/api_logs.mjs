// The API log through the SDK: tracking.getAllApiLogs with paging, sort and filter, then
// tracking.getApiLog of the first item.
import { attempt, cardToken, run, sandboxApi } from './harness.mjs';

run(async () => {
    const api = sandboxApi();
    const results = {};
    results.token = await attempt(() =>
        api.paymentTokens.create({ data: cardToken('4111111111111111') }));
    results.missing = await attempt(() => api.customers.get({ id: 'cus_sdk_missing' }));
    results.logs = await attempt(() => api.tracking.getAllApiLogs({
        limit: 2, offset: 0, filter: 'method:GET,POST',
    }));
    results.byStatus = await attempt(() => api.tracking.getAllApiLogs({
        sort: ['-status'], q: 'customers',
    }));
    const firstId = results.logs.items?.[0]?.id;
    results.log = await attempt(() => api.tracking.getApiLog({ id: firstId }));
    return results;
});
