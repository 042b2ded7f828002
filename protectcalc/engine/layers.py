"""Layers of one order: every programme that protects it, computed from the same events.

An AliExpress order paid with PayPal by card has AliExpress's dispute window, PayPal's own
window and the card's chargeback limit behind both. Each layer is the ordinary engine run with
its own rule set (:func:`compute_timeline`); this module only runs them side by side and
combines the results: the next action across all layers and the last protection still open.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from protectcalc.clock import utc
from protectcalc.engine.scalar import compute_timeline
from protectcalc.engine.status import Status, near_deadlines, open_buyer_deadlines
from protectcalc.model import NextAction, Order, Timeline
from protectcalc.rules import RuleSet


@dataclass(frozen=True)
class Layer:
    """One programme's timeline of the order."""

    name: str
    """The rule set's name (``paypal``)."""
    title: str
    """The programme in words (``PayPal Buyer Protection``)."""
    timeline: Timeline


@dataclass(frozen=True)
class Layered:
    """The main layer (``--rules``) and the others (``--also``), in the order given."""

    main: Layer
    also: tuple[Layer, ...]

    @property
    def all(self) -> tuple[Layer, ...]:
        """Every layer, the main one first."""
        return (self.main, *self.also)


def compute_layers(order: Order, main: RuleSet, also: list[RuleSet], as_of: datetime) -> Layered:
    """Each rule set's timeline of the same order; an event one layer reads is allowed in all."""
    reads = frozenset().union(*(rules.plan_for(None).reads for rules in (main, *also)))
    layers = [
        Layer(rules.name, rules.title, compute_timeline(order, rules, as_of, reads))
        for rules in (main, *also)
    ]
    return Layered(layers[0], tuple(layers[1:]))


def next_across(layered: Layered) -> tuple[Layer, NextAction] | None:
    """The buyer's next action across all layers: the one with the soonest deadline (a
    layer's action without a deadline only when no layer has one)."""
    timed = [
        (layer, layer.timeline.next)
        for layer in layered.all
        if layer.timeline.next is not None and layer.timeline.next.deadline is not None
    ]
    if timed:
        return min(timed, key=lambda pair: utc(pair[1].deadline))  # type: ignore[arg-type]
    for layer in layered.all:
        if layer.timeline.next is not None:
            return layer, layer.timeline.next
    return None


def last_open(layered: Layered) -> tuple[Layer, datetime] | None:
    """The protection that stays open longest: the layer whose protection ends last, after
    the moment judged (None when every layer's protection has ended or is unknown)."""
    found: list[tuple[Layer, datetime]] = []
    for layer in layered.all:
        end = layer.timeline.summary.protection_end
        if end is not None and utc(end) > utc(layer.timeline.as_of):
            found.append((layer, end))
    return max(found, key=lambda pair: utc(pair[1])) if found else None


def layered_near(
    order: Order, layered: Layered, status: Status, within: timedelta | None
) -> Status:
    """``status`` of the main layer with ``--within`` matched against every layer's deadlines."""
    if within is None:
        return status
    near = list(status.near)
    for layer in layered.also:
        near.extend(near_deadlines(open_buyer_deadlines(order, layer.timeline), within))
    return replace(status, near=tuple(near))
