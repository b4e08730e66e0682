"""Onboarding writes: progress transitions (progress.py) and pipeline editing (pipelines.py)."""

from apps.onboarding.services.pipelines import *  # noqa: F403
from apps.onboarding.services.progress import *  # noqa: F403
