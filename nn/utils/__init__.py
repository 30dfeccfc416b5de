"""Utilities for modules (`nn.utils.rnn`: padded and packed sequences)."""

from nn.utils import rnn  # noqa: F401
