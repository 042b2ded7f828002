"""Order files: the YAML scenario format without ``expect``, read as an order.

Placeholder until scenario files land.
"""

from __future__ import annotations

from pathlib import Path

from protectcalc.errors import InputError
from protectcalc.order import OrderInput


def load_order_input(path: Path) -> OrderInput:
    """The order recorded in a YAML file."""
    raise InputError("ORDER_FILE", str(path), "order files are not supported yet")
