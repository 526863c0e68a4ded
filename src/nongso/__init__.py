"""Nông Số — digital-agriculture platform."""

__version__ = "0.1.0"
