"""The questions a new installation ships with, one set per category (defaults.json).

Every default question is optional and none asks for evidence (R1):
tests/test_questionnaire_defaults.py checks both, and docs/questionnaire.md says why
each question is there. A migration publishes them as version 1 of each category;
afterwards the administrators own the questionnaire, and a later change to this file
reaches only new installations.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ombuds.questionnaire.validation import QuestionSpec, parse_document

PATH = Path(__file__).with_name("defaults.json")


def document() -> dict[str, Any]:
    loaded = json.loads(PATH.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def questions() -> dict[str, list[QuestionSpec]]:
    """The default questions of each category, checked like an import (in English and Simplified Chinese)."""
    return parse_document(document(), languages=["en", "zh-hans"])
