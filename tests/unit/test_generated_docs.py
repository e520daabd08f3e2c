"""Generated documentation cannot drift from the code."""

from __future__ import annotations

import json
from pathlib import Path

from meetmind.api.app import create_app
from meetmind.config import Settings
from meetmind.sdk import MeetMind
from meetmind.settings_doc import settings_markdown
from meetmind.store.vault import generate_key_spec

DOCS = Path(__file__).parents[2] / "docs"


def test_configuration_reference_is_current() -> None:
    assert (DOCS / "configuration.md").read_text() == settings_markdown(), (
        "regenerate with: meetmind config --markdown > docs/configuration.md"
    )
    for name in Settings.model_fields:
        assert f"MEETMIND_{name.upper()}" in settings_markdown()


def test_openapi_export_is_current(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path}/x.db",
        encryption_keys=generate_key_spec("doc"),
        _env_file=None,
    )
    schema = create_app(MeetMind(settings), manage_lifecycle=False).openapi()
    exported = json.loads((DOCS / "openapi.json").read_text())
    assert exported == json.loads(json.dumps(schema)), (
        "regenerate with: meetmind openapi > docs/openapi.json"
    )
