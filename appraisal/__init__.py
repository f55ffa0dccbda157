"""Hype to Mechanism: functions for appraising health claims, used by the kit's notebooks.

One module per idea:

- ``text``: read an article into a table of sentences (``load_article``, ``split_text``).
- ``hype``: boosters, hedges, absolutes, vague sources, content-farm signals.
- ``claims``: claim strength on the four-level scale, with the rule that decided it.
- ``contradictions``: candidate pairs of sentences that may not both be true (contradictions or tensions, for a reader to judge).
- ``evidence``: OCEBM levels, GRADE certainty, claim strength against the evidence behind it.
- ``simulate``: seeded simulations of regression to the mean, placebo effects and publication bias.
- ``plausibility``: positive predictive value, minimum Bayes factors, half-lives.
- ``confounding``: a seeded simulation of depression as a hidden path to pain relief.
- ``appraise``: ``report()``, every text check at once on any article.
- ``selfcheck``, ``sources``, ``plots``, ``checks``, ``paths``: self-checks, the source registry, figure style,
  argument checks and data locations; ``selfcheck_answers`` recomputes the stored self-check answers.
- ``display``: ``show_text_table(df)`` shows tables of sentences and reasons in full, wrapped rather than cut.
"""

from appraisal.appraise import ArticleReport, report
from appraisal.text import load_article, split_text

__all__ = ["ArticleReport", "load_article", "report", "split_text"]
