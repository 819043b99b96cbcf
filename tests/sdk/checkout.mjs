// A checkout through the SDK: token -> customer -> instrument -> sale -> get -> refund, then a
// declined card, authorize + capture (a sale), authorize + refund (a void), a repeated
// requestId, the instrument list, get and deactivation, and a filtered transaction list.
import { attempt, cardToken, run, sandboxApi } from './harness.mjs';

const WEBSITE_ID = 'web_0YV7DE4Z26DQSA1AC92FBJ7SEG';

async function customerWithCard(api, pan, results, prefix) {
    results[`${prefix}Token`] = await attempt(() =>
        api.paymentTokens.create({ data: cardToken(pan) }));
    results[`${prefix}Customer`] = await attempt(() => api.customers.create({
        data: {
            websiteId: WEBSITE_ID,
            primaryAddress: {
                firstName: 'Ada',
                lastName: 'Lovelace',
                country: 'GB',
                emails: [{ label: 'main', value: `${prefix}@shop.example`, primary: true }],
            },
        },
    }));
    const customerId = results[`${prefix}Customer`].fields?.id;
    results[`${prefix}Instrument`] = await attempt(() => api.paymentInstruments.create({
        data: { customerId, token: results[`${prefix}Token`].fields?.id },
    }));
    return { customerId, instrumentId: results[`${prefix}Instrument`].fields?.id };
}

function transaction(type, { customerId, instrumentId }, amount, requestId = null) {
    return {
        type,
        websiteId: WEBSITE_ID,
        customerId,
        currency: 'USD',
        amount,
        paymentInstruction: { paymentInstrumentId: instrumentId },
        requestId,
    };
}

run(async () => {
    const api = sandboxApi();
    const results = {};

    const shopper = await customerWithCard(api, '4111111111111111', results, 'approved');
    results.sale = await attempt(() => api.transactions.create({
        data: transaction('sale', shopper, 12.99, 'order-1001'),
    }));
    const saleId = results.sale.fields?.id;
    results.saleFetched = await attempt(() => api.transactions.get({ id: saleId }));
    results.partialRefund = await attempt(() =>
        api.transactions.refund({ id: saleId, data: { amount: 2.99 } }));
    results.overRefund = await attempt(() =>
        api.transactions.refund({ id: saleId, data: { amount: 50 } }));
    results.saleAfterRefund = await attempt(() => api.transactions.get({ id: saleId }));
    results.instrumentAfterSale = await attempt(() =>
        api.paymentInstruments.get({ id: shopper.instrumentId }));

    results.duplicate = await attempt(() => api.transactions.create({
        data: transaction('sale', shopper, 12.99, 'order-1001'),
    }));

    results.authorize = await attempt(() => api.transactions.create({
        data: transaction('authorize', shopper, 20, 'order-1002'),
    }));
    results.capture = await attempt(() => api.transactions.create({
        data: transaction('sale', shopper, 20, 'order-1003'),
    }));
    results.authorizeToVoid = await attempt(() => api.transactions.create({
        data: transaction('authorize', shopper, 15, 'order-1004'),
    }));
    const voidedId = results.authorizeToVoid.fields?.id;
    results.void = await attempt(() =>
        api.transactions.refund({ id: voidedId, data: { amount: 15 } }));
    results.voidedAuthorize = await attempt(() => api.transactions.get({ id: voidedId }));
    results.customerAfterPayments = await attempt(() =>
        api.customers.get({ id: shopper.customerId }));

    const declinedShopper = await customerWithCard(api, '4000000000000002', results, 'declined');
    results.declinedSale = await attempt(() => api.transactions.create({
        data: transaction('sale', declinedShopper, 9.99, 'order-2001'),
    }));

    results.instruments = await attempt(() => api.paymentInstruments.getAll({
        filter: `customerId:${shopper.customerId}`, sort: ['-createdTime'], limit: 10,
    }));
    results.instrumentFetched = await attempt(() =>
        api.paymentInstruments.get({ id: declinedShopper.instrumentId }));
    results.deactivated = await attempt(() =>
        api.paymentInstruments.deactivate({ id: declinedShopper.instrumentId }));
    results.saleOnDeactivated = await attempt(() => api.transactions.create({
        data: transaction('sale', declinedShopper, 9.99, 'order-2002'),
    }));

    results.declinedList = await attempt(() => api.transactions.getAll({
        filter: 'result:declined', limit: 10,
    }));
    results.shopperSales = await attempt(() => api.transactions.getAll({
        filter: `customerId:${shopper.customerId};type:sale,capture`, sort: ['createdTime'], limit: 1,
    }));
    return results;
});
