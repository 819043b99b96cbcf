// Routes Rebilly has and the sandbox does not simulate, through the SDK: a "get, else create"
// read must not look like a missing record.
import { attempt, run, sandboxApi } from './harness.mjs';

run(async () => {
    const api = sandboxApi();
    const org = sandboxApi({ organizationId: process.env.SDK_ORGANIZATION_ID });
    return {
        blocklist: await attempt(() => api.blocklists.get({ id: 'blk_sdk' })),
        orgBlocklist: await attempt(() => org.blocklists.get({ id: 'blk_sdk' })),
        missingCustomer: await attempt(() => api.customers.get({ id: 'cus_sdk_missing' })),
    };
});
