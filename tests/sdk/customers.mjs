// Customers and tokens through the SDK: create (with and without an id), get, list, errors,
// and the same calls under an organization prefix.
import { attempt, cardToken, run, sandboxApi } from './harness.mjs';

const WEBSITE_ID = 'web_0YV7DE4Z26DQSA1AC92FBJ7SEG';

function customer(first, email) {
    return {
        websiteId: WEBSITE_ID,
        primaryAddress: {
            firstName: first,
            lastName: 'Doe',
            country: 'US',
            emails: [{ label: 'main', value: email, primary: true }],
        },
    };
}

run(async () => {
    const api = sandboxApi();
    const org = sandboxApi({ organizationId: process.env.SDK_ORGANIZATION_ID });
    const results = {};

    results.token = await attempt(() =>
        api.paymentTokens.create({ data: cardToken('4111111111111111') }));
    results.created = await attempt(() =>
        api.customers.create({ data: customer('John', 'john.doe@example.com') }));
    results.createdWithId = await attempt(() =>
        api.customers.create({ id: 'cus_sdk_chosen', data: customer('Jane', 'jane.doe@example.com') }));
    results.createdAgainWithId = await attempt(() =>
        api.customers.create({ id: 'cus_sdk_chosen', data: customer('Jane', 'jane.doe@example.com') }));
    results.fetched = await attempt(() => api.customers.get({ id: 'cus_sdk_chosen' }));
    for (const first of ['Ann', 'Bob', 'Cid']) {
        await attempt(() =>
            api.customers.create({ data: customer(first, `${first.toLowerCase()}@shop.example`) }));
    }
    results.listed = await attempt(() => api.customers.getAll({
        filter: 'lastName:Doe', sort: ['-firstName'], limit: 2, offset: 1,
    }));
    results.invalid = await attempt(() => api.customers.create({
        data: { primaryAddress: { firstName: 'Bad', country: 'gb' } },
    }));
    results.missing = await attempt(() => api.customers.get({ id: 'cus_does_not_exist' }));

    results.orgCreated = await attempt(() =>
        org.customers.create({ data: customer('Olga', 'olga@example.com') }));
    const orgCustomerId = results.orgCreated.fields?.id;
    results.orgFetched = await attempt(() => org.customers.get({ id: orgCustomerId }));
    results.orgToken = await attempt(() =>
        org.paymentTokens.create({ data: cardToken('5555555555554444') }));
    return results;
});
