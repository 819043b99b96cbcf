"""List pages hand the stored documents themselves to the presenters (no copy): listing every
resource, with every embed, leaves what is stored exactly as it was. (That a page keeps what it
read when the document changes later is in test_list_indexes.py.)"""

from __future__ import annotations

from helpers import API_KEY, WEBSITE, card

from rebilly_sandbox.store import copy_document

KINDS = ("customers", "transactions", "payment-instruments", "webhooks",
         "webhook-credentials", "tags")


def _everything(app) -> dict:
    state = app.extensions["sandbox"]
    namespace = state.namespace_for(API_KEY).id
    with state.store.transaction() as tx:
        return {kind: [copy_document(document) for document in tx.view(namespace, kind)]
                for kind in KINDS}


def test_listing_every_resource_changes_no_stored_document(client, app):
    created = client.post("/customers", {"websiteId": WEBSITE,
                                         "tags": [{"name": "vip", "type": "customer"}],
                                         "primaryAddress": {"firstName": "Ada"}})
    assert created.status_code == 201
    customer = created.get_json()["id"]
    sale = client.post("/transactions", {"type": "sale", "websiteId": WEBSITE,
                                         "customerId": customer, "currency": "USD",
                                         "amount": 10, "paymentInstruction": card()})
    assert sale.status_code == 201
    refund = client.post(f"/transactions/{sale.get_json()['id']}/refund", {"amount": 4})
    assert refund.status_code == 201
    credential = client.post("/service-credentials/webhook", {
        "type": "webhook", "host": "127.0.0.1",
        "auth": {"type": "basic", "username": "u", "password": "secret"}})
    assert credential.status_code == 201, credential.get_json()
    webhook = client.post("/webhooks", {"method": "POST", "url": "http://127.0.0.1:9/hook",
                                        "credentialHash": credential.get_json()["id"],
                                        "eventsFilter": ["transaction-processed"]})
    assert webhook.status_code == 201, webhook.get_json()
    before = _everything(app)
    assert before["customers"] and before["transactions"] and before["webhooks"]

    for path in ("/customers", "/customers?expand=defaultPaymentInstrument,leadSource",
                 "/transactions", "/transactions?expand=customer,parentTransaction",
                 "/payment-instruments?expand=customer", "/webhooks",
                 "/service-credentials/webhook", "/tracking/webhooks"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True))

    assert _everything(app) == before
