// The catalog through the SDK: a website, a product and plans created by id (GET, then PUT on
// a 404) and without one, read, listed with filter and sort, and refusals as SDK errors.
import { attempt, run, sandboxApi } from './harness.mjs';

const PLAN = {
    name: 'Gold monthly',
    productId: 'prod_sdk_gold',
    currency: 'USD',
    pricing: {
        formula: 'tiered',
        brackets: [{ maxQuantity: 4, price: 10 }, { maxQuantity: null, price: 5 }],
    },
    recurringInterval: { unit: 'month', length: 1 },
};

run(async () => {
    const api = sandboxApi();
    const results = {};

    results.website = await attempt(() => api.websites.create({
        id: 'web_sdk_shop',
        data: {
            name: 'SDK shop', url: 'shop.example.com', servicePhone: '+1 555 0100',
            serviceEmail: 'help@shop.example.com',
        },
    }));
    results.product = await attempt(() =>
        api.products.create({ id: 'prod_sdk_gold', data: { name: 'Gold', unitLabel: 'seat' } }));
    results.plan = await attempt(() =>
        api.plans.create({ id: 'plan_sdk_gold_monthly', data: PLAN }));
    results.oneTimePlan = await attempt(() => api.plans.create({
        data: { ...PLAN, name: 'Gold lifetime', recurringInterval: null,
                pricing: { formula: 'fixed-fee', price: 299 } },
    }));
    results.planAgain = await attempt(() =>
        api.plans.create({ id: 'plan_sdk_gold_monthly', data: PLAN }));
    results.planGot = await attempt(() => api.plans.get({ id: 'plan_sdk_gold_monthly' }));
    results.planUpdated = await attempt(() => api.plans.update({
        id: 'plan_sdk_gold_monthly', data: { ...PLAN, name: 'Gold, monthly' } }));
    results.plans = await attempt(() =>
        api.plans.getAll({ filter: 'productId:prod_sdk_gold', sort: '-createdTime', limit: 10 }));
    results.products = await attempt(() => api.products.getAll({ q: 'gold' }));
    results.websites = await attempt(() => api.websites.getAll({ limit: 5 }));
    results.badPlan = await attempt(() =>
        api.plans.create({ data: { ...PLAN, productId: 'prod_missing' } }));
    results.productInUse = await attempt(() => api.products.delete({ id: 'prod_sdk_gold' }));
    return results;
});
