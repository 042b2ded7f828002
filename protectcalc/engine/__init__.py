"""Evaluators of a rule set: from an order's events to its milestones, phase and next action."""
