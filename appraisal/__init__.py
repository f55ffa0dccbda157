"""Hype to Mechanism: functions for appraising health claims, used by the kit's notebooks.

One module per idea: ``text`` (reading articles), ``sources`` (the source registry).
"""

from appraisal.text import load_article, split_text

__all__ = ["load_article", "split_text"]
