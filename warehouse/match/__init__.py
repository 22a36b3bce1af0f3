"""The one cross-document step, as stages: candidates -> n-gram verification -> pair verdict -> events
-> passage links (step.py runs them in order; config.py holds every threshold)."""

from warehouse.match.config import MatchConfig
from warehouse.match.step import MatchResult, MatchStats, match_corpus

__all__ = ["MatchConfig", "MatchResult", "MatchStats", "match_corpus"]
