"""Plain words for each milestone id, for people reading a table or a calendar."""

from __future__ import annotations

import re

LABELS: dict[str, str] = {
    "payment_due": "Pay by (unpaid orders are cancelled)",
    "cancel_response_due": "Seller must answer your cancellation",
    "ship_by": "Seller must ship by",
    "delivery_period_end": "Delivery period ends (order completes)",
    "auto_confirm": "Receipt confirmed automatically",
    "protection_end": "Protection ends: last moment to open a dispute",
    "safe_dispute_open": "Open a dispute by (safe date)",
    "dispute_opened": "Dispute opened",
    "seller_response_due_1": "Seller must answer the dispute (round 1)",
    "buyer_response_due_1": "You must answer the seller (round 1)",
    "seller_response_due_2": "Seller must answer your edit (round 2)",
    "buyer_response_due_2": "You must answer the seller (round 2)",
    "seller_response_due_3": "Seller must answer your edit (round 3)",
    "buyer_response_due_3": "You must answer the seller (round 3)",
    "escalation": "Dispute escalates to AliExpress",
    "escalated_response_due": "Answer the mediator by",
    "appeal_due": "Appeal the decision by",
    "feedback_due": "Leave a review by",
    "refund_earliest": "Refund arrives at the earliest",
    "refund_latest": "Refund arrives at the latest",
    "delivery_earliest": "Parcel expected at the earliest",
    "delivery_latest": "Parcel expected at the latest",
}


def label(milestone_id: str) -> str:
    """The plain-words label of a milestone id (the id itself when unknown)."""
    return LABELS.get(milestone_id, milestone_id.replace("_", " "))


_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[@-_]?"  # any other escape
    r"|[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"  # controls, bidi overrides
)


def plain(text: str) -> str:
    """A name or title from a file, safe to print as text: no terminal escape sequence runs.

    Why: an order file's ``name`` is printed to the user's terminal; an escape sequence in it
    could recolour, retitle or clear the screen. Rich markup is neutralised separately, by
    printing the result as a Rich ``Text`` (never parsed as markup).
    """
    return _ESCAPES.sub(lambda found: " " if found.group() in "\t\n\r" else "", text)
