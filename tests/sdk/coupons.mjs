// Coupons through the SDK: created without an id (POST to the trailing-slash path) and with
// one (GET then PUT), redeemed, applied to an invoice, listed, expired, and the refusals a
// redeemed or expired coupon gives, as SDK errors.
import { attempt, run, sandboxApi } from './harness.mjs';

const WEBSITE = {
    name: 'SDK shop', url: 'shop.example.com', servicePhone: '+1 555 0100',
    serviceEmail: 'help@shop.example.com',
};
const PAST = '2020-01-01T00:00:00Z';

run(async () => {
    const api = sandboxApi();
    const results = {};

    await attempt(() => api.websites.create({ id: 'web_sdk_cpn', data: WEBSITE }));
    results.customer = await attempt(() => api.customers.create({
        data: { websiteId: 'web_sdk_cpn', primaryAddress: { firstName: 'Ada', lastName: 'Byron' } },
    }));
    const customerId = results.customer.fields?.id;
    results.generated = await attempt(() => api.coupons.create({
        data: { discount: { type: 'fixed', amount: 5, currency: 'USD' }, issuedTime: PAST },
    }));
    results.chosen = await attempt(() => api.coupons.create({
        id: 'SDK10', data: {
            discount: { type: 'percent', value: 10 }, issuedTime: PAST,
            restrictions: [{ type: 'redemptions-per-customer', quantity: 1 }],
        },
    }));
    results.chosenAgain = await attempt(() => api.coupons.create({
        id: 'SDK10', data: { discount: { type: 'percent', value: 10 }, issuedTime: PAST },
    }));
    results.invalid = await attempt(() => api.coupons.create({
        data: { discount: { type: 'percent', value: 0 } },
    }));
    results.redemption = await attempt(() => api.coupons.redeem({
        data: { couponId: 'SDK10', customerId },
    }));
    results.redeemedTwice = await attempt(() => api.coupons.redeem({
        data: { couponId: 'SDK10', customerId },
    }));
    results.updateRedeemed = await attempt(() => api.coupons.update({
        id: 'SDK10', data: { discount: { type: 'percent', value: 50 }, issuedTime: PAST },
    }));
    const invoice = await attempt(() => api.invoices.create({
        data: { customerId, websiteId: 'web_sdk_cpn', currency: 'USD' },
    }));
    await attempt(() => api.invoices.createInvoiceItem({
        id: invoice.fields?.id, data: { type: 'debit', unitPrice: 40 },
    }));
    results.issued = await attempt(() => api.invoices.issue({ id: invoice.fields?.id }));
    const redemptionId = results.redemption.fields?.id;
    results.fetched = await attempt(() => api.coupons.getRedemption({ id: redemptionId }));
    results.redemptions = await attempt(() =>
        api.coupons.getAllRedemptions({ filter: `customerId:${customerId}`, limit: 5 }));
    results.canceled = await attempt(() => api.coupons.cancelRedemption({ id: redemptionId }));
    results.canceledAgain = await attempt(() =>
        api.coupons.cancelRedemption({ id: redemptionId }));
    results.afterCancel = await attempt(() => api.invoices.get({ id: invoice.fields?.id }));
    results.expired = await attempt(() =>
        api.coupons.setExpiration({ id: 'SDK10', data: { expiredTime: null } }));
    results.expiredAgain = await attempt(() =>
        api.coupons.setExpiration({ id: 'SDK10', data: { expiredTime: '2040-01-01T00:00:00Z' } }));
    results.redeemExpired = await attempt(() => api.coupons.redeem({
        data: { couponId: 'SDK10', customerId },
    }));
    results.coupon = await attempt(() => api.coupons.get({ id: 'SDK10' }));
    results.listed = await attempt(() =>
        api.coupons.getAll({ filter: 'status:issued', sort: '-createdTime', limit: 10 }));
    return results;
});
