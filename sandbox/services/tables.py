"""The store tables the services share, named in one leaf module.

A service names the tables it reads without importing the service that writes them, so the
services import one another only where one builds on another's rules (instruments on tokens,
customers on instruments), and their import graph has no cycle.
"""

from __future__ import annotations

from ..resources import COUPON_REDEMPTIONS as _COUPON_REDEMPTIONS
from ..resources import COUPONS as _COUPONS
from ..resources import CUSTOMERS as _CUSTOMERS
from ..resources import INVOICES as _INVOICES
from ..resources import PAYMENT_INSTRUMENTS as _PAYMENT_INSTRUMENTS
from ..resources import PAYMENT_TOKENS as _PAYMENT_TOKENS
from ..resources import PLANS as _PLANS
from ..resources import PRODUCTS as _PRODUCTS
from ..resources import SUBSCRIPTION_CANCELLATIONS as _SUBSCRIPTION_CANCELLATIONS
from ..resources import SUBSCRIPTION_PAUSES as _SUBSCRIPTION_PAUSES
from ..resources import SUBSCRIPTION_REACTIVATIONS as _SUBSCRIPTION_REACTIVATIONS
from ..resources import SUBSCRIPTIONS as _SUBSCRIPTIONS
from ..resources import TRANSACTIONS as _TRANSACTIONS
from ..resources import WEBSITES as _WEBSITES

__all__ = ("CUSTOMERS", "LEAD_SOURCES", "WEBSITES", "TOKENS", "PAYMENT_INSTRUMENTS",
           "CARD_PROFILES", "PRODUCTS", "PLANS", "TRANSACTIONS", "INVOICES", "ORDERS",
           "CANCELLATIONS", "PAUSES", "REACTIVATIONS", "COUPONS", "REDEMPTIONS",
           "CUSTOMER_REDEMPTIONS")

CUSTOMERS = _CUSTOMERS.table
LEAD_SOURCES = "lead-sources"
WEBSITES = _WEBSITES.table
TOKENS = _PAYMENT_TOKENS.table
PAYMENT_INSTRUMENTS = _PAYMENT_INSTRUMENTS.table
PRODUCTS = _PRODUCTS.table
PLANS = _PLANS.table
TRANSACTIONS = _TRANSACTIONS.table
INVOICES = _INVOICES.table
ORDERS = _SUBSCRIPTIONS.table
CANCELLATIONS = _SUBSCRIPTION_CANCELLATIONS.table
PAUSES = _SUBSCRIPTION_PAUSES.table
REACTIVATIONS = _SUBSCRIPTION_REACTIVATIONS.table
COUPONS = _COUPONS.table
REDEMPTIONS = _COUPON_REDEMPTIONS.table
#: The hidden table of gateway card profiles, keyed by token or instrument id (never shown).
CARD_PROFILES = "card-profiles"
#: The hidden table of each customer's active coupon redemptions, keyed by customer id, so
#: working out an invoice's discounts reads a few documents however many redemptions exist.
CUSTOMER_REDEMPTIONS = "customer-redemptions"
