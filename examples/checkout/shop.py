"""A shop's checkout against the sandbox: a payment page with FramePay and a few lines of backend.

Run the sandbox (``make run``), then this shop, and open http://localhost:5000:

    python examples/checkout/shop.py

The page loads the sandbox's FramePay stand-in instead of Rebilly's script; the card fields are
iframes of the sandbox, so the card number never reaches the shop. The browser sends the shop
only the token, and the shop charges it with its secret key. Settings, from the environment:
``SANDBOX_URL`` (http://127.0.0.1:8080), ``SHOP_API_KEY`` (a secret key; its publishable twin,
``pk_`` for ``sk_``, makes the tokens), ``SHOP_PORT`` (5000).
"""

from __future__ import annotations

import os
import secrets

import requests
from flask import Flask, abort, jsonify, render_template, request, url_for

WEBSITE_ID = "web_shop"
AMOUNT, CURRENCY = 10.00, "USD"


def create_shop(sandbox_url: str, api_key: str) -> Flask:
    """The shop's app: ``/`` the payment page, ``POST /pay`` charges a token, ``/done`` the end."""
    app = Flask(__name__, root_path=os.path.dirname(os.path.abspath(__file__)))
    api = requests.Session()
    api.headers["REB-APIKEY"] = api_key
    publishable_key = "pk_" + api_key.removeprefix("sk_")

    @app.get("/")
    def checkout():
        return render_template("checkout.html", sandbox_url=sandbox_url, amount=AMOUNT,
                               currency=CURRENCY, publishable_key=publishable_key)

    @app.post("/pay")
    def pay():
        token = (request.get_json(silent=True) or {}).get("token")
        if not isinstance(token, str):
            abort(400)
        answer = api.post(f"{sandbox_url}/transactions", timeout=10, json={
            "type": "sale", "websiteId": WEBSITE_ID, "amount": AMOUNT, "currency": CURRENCY,
            "customerId": f"cus_shop_{secrets.token_hex(8)}", "upsertCustomer": True,
            "description": "Order from the example shop",
            "paymentInstruction": {"token": token},
            "redirectUrl": url_for("done", _external=True) + "?transaction={id}"})
        transaction = answer.json()
        if answer.status_code != 201:
            return jsonify(result="error", message=transaction.get("detail", "Payment failed"))
        links = {link["rel"]: link["href"] for link in transaction["_links"]}
        if transaction["status"] == "waiting-approval":
            return jsonify(result="approval-required", approvalUrl=links["approvalUrl"])
        return jsonify(result=transaction["result"], transactionId=transaction["id"],
                       message=_message(transaction))

    @app.get("/done")
    def done():
        """Where the 3-D Secure page sends the shopper back: read the outcome from the API."""
        transaction_id = request.args.get("transaction", "")
        answer = api.get(f"{sandbox_url}/transactions/{transaction_id}", timeout=10)
        if answer.status_code != 200:
            abort(404)
        transaction = answer.json()
        return render_template("done.html", result=transaction["result"],
                               message=_message(transaction))

    return app


def _message(transaction: dict) -> str:
    if transaction["result"] == "approved":
        return f"Payment approved ({transaction['id']})."
    reason = (transaction.get("gateway") or {}).get("response", {}).get("message", "")
    return f"Payment {transaction['result']}: {reason}".rstrip(": ") + "."


if __name__ == "__main__":
    shop = create_shop(os.environ.get("SANDBOX_URL", "http://127.0.0.1:8080").rstrip("/"),
                       os.environ.get("SHOP_API_KEY", "sk_sandbox_example_shop"))
    shop.run(host="localhost", port=int(os.environ.get("SHOP_PORT", "5000")))
