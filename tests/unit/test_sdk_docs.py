"""The SDK documentation's example runs and prints what the page says it prints."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).parents[2] / "docs" / "sdk.md"


def test_sdk_example_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```(\w*)\n(.*?)```", DOC.read_text(), re.S)
    code = next(body for lang, body in blocks if lang == "python")
    expected = next(body for lang, body in blocks if lang == "")
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.replace("'", '"') == expected.replace("'", '"')
