// A SaaS shop's sign-up through the SDK: a plan with a 14-day free trial and a monthly plan,
// an order created with an id (GET 404, then PUT with expand), one paid at once by the saved
// card with a coupon, the upcoming invoice, an item change, and the refusals as SDK errors.
import { attempt, cardToken, run, sandboxApi } from './harness.mjs';

run(async () => {
    const api = sandboxApi();
    const results = {};
    await attempt(() => api.products.create({ id: 'sdk-pro', data: { name: 'Pro' } }));
    const plan = (id, extra) => api.plans.create({
        id, data: {
            name: id, productId: 'sdk-pro', currency: 'USD',
            recurringInterval: { unit: 'month', length: 1 }, ...extra,
        },
    });
    await attempt(() => plan('sdk-trial', {
        pricing: { formula: 'flat-rate', price: 10 },
        trial: { price: 0, period: { unit: 'day', length: 14 } },
    }));
    await attempt(() => plan('sdk-monthly', { pricing: { formula: 'fixed-fee', price: 40 } }));
    await attempt(() => api.coupons.create({
        id: 'SDKWELCOME', data: {
            discount: { type: 'percent', value: 25 }, issuedTime: '2000-01-01T00:00:00Z',
        },
    }));
    const token = await attempt(() =>
        api.paymentTokens.create({ data: cardToken('4111111111111111') }));
    results.customer = await attempt(() => api.customers.create({
        data: {
            websiteId: 'web_sdk_orders', paymentToken: token.fields?.id,
            primaryAddress: { firstName: 'Ada', lastName: 'Byron' },
        },
    }));
    const customerId = results.customer.fields?.id;
    const order = (planId, extra) => ({
        orderType: 'subscription-order', customerId, websiteId: 'web_sdk_orders',
        items: [{ plan: { id: planId }, quantity: 2 }], ...extra,
    });
    results.trial = await attempt(() => api.subscriptions.create({
        id: 'sub_sdk_trial', data: order('sdk-trial'), expand: 'initialInvoice',
    }));
    results.paid = await attempt(() => api.subscriptions.create({
        data: order('sdk-monthly', { couponIds: ['SDKWELCOME'] }),
    }));
    const paidId = results.paid.fields?.id;
    results.paidInvoice = await attempt(() =>
        api.invoices.get({ id: results.paid.fields?.initialInvoiceId }));
    results.upcoming = await attempt(() =>
        api.subscriptions.getUpcomingInvoice({ id: 'sub_sdk_trial' }));
    results.changed = await attempt(() => api.subscriptions.changeItems({
        id: paidId, data: {
            items: [{ plan: { id: 'sdk-trial' }, quantity: 5 }],
            renewalPolicy: 'retainRecurring', prorated: false,
        },
    }));
    results.voidActive = await attempt(() => api.subscriptions.void({ id: paidId }));
    results.badPlan = await attempt(() => api.subscriptions.create({
        data: order('sdk-none'),
    }));
    results.listed = await attempt(() => api.subscriptions.getAll({
        filter: `customerId:${customerId}`, sort: '-createdTime', limit: 10,
    }));
    return results;
});
