// Invoices through the SDK: a draft with items, issued (no body), paid in part then in full by
// transactions naming it, and the refusals an issued invoice gives, as SDK errors.
import { attempt, cardToken, run, sandboxApi } from './harness.mjs';

const WEBSITE = {
    name: 'SDK shop', url: 'shop.example.com', servicePhone: '+1 555 0100',
    serviceEmail: 'help@shop.example.com',
};

run(async () => {
    const api = sandboxApi();
    const results = {};

    results.website = await attempt(() =>
        api.websites.create({ id: 'web_sdk_inv', data: WEBSITE }));
    const token = await attempt(() =>
        api.paymentTokens.create({ data: cardToken('4111111111111111') }));
    results.customer = await attempt(() => api.customers.create({
        data: { websiteId: 'web_sdk_inv', primaryAddress: { firstName: 'Ada', lastName: 'Byron' } },
    }));
    const customerId = results.customer.fields?.id;
    const instrument = await attempt(() => api.paymentInstruments.create({
        data: { customerId, token: token.fields?.id },
    }));
    results.invoice = await attempt(() => api.invoices.create({
        id: 'in_sdk_1', data: { customerId, websiteId: 'web_sdk_inv', currency: 'USD' },
    }));
    results.item = await attempt(() => api.invoices.createInvoiceItem({
        id: 'in_sdk_1', data: { type: 'debit', unitPrice: 12.5, quantity: 3, description: 'Seats' },
    }));
    results.credit = await attempt(() => api.invoices.createInvoiceItem({
        id: 'in_sdk_1', data: { type: 'credit', unitPrice: 2.5 },
    }));
    results.items = await attempt(() => api.invoices.getAllInvoiceItems({ id: 'in_sdk_1' }));
    results.issued = await attempt(() => api.invoices.issue({ id: 'in_sdk_1' }));
    results.issuedAgain = await attempt(() => api.invoices.issue({ id: 'in_sdk_1', data: {} }));
    const pay = (amount) => api.transactions.create({
        data: {
            type: 'sale', websiteId: 'web_sdk_inv', customerId, currency: 'USD', amount,
            paymentInstruction: { paymentInstrumentId: instrument.fields?.id },
            invoiceIds: ['in_sdk_1'],
        },
    });
    results.partPayment = await attempt(() => pay(15));
    results.partlyPaid = await attempt(() => api.invoices.get({ id: 'in_sdk_1' }));
    results.overPayment = await attempt(() => pay(50));
    results.payment = await attempt(() => pay(20));
    results.paid = await attempt(() => api.invoices.get({ id: 'in_sdk_1' }));
    results.voidPaid = await attempt(() => api.invoices.void({ id: 'in_sdk_1' }));
    results.listed = await attempt(() =>
        api.invoices.getAll({ filter: `customerId:${customerId}`, sort: '-amount', limit: 5 }));
    return results;
});
