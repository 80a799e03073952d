"""Automatic differentiation: the graph, the backward engine, and the switches that control them."""

from .engine import grad, run_backward, topological_order, unbroadcast
from .function import Function
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Function",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "run_backward",
    "set_grad_enabled",
    "topological_order",
    "unbroadcast",
]
