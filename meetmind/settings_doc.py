"""The configuration reference, generated from :class:`meetmind.config.Settings`."""

from __future__ import annotations

from pydantic import SecretStr

from meetmind.config import ENV_PREFIX, Settings

__all__ = ["settings_markdown"]


def _default(name: str) -> str:
    field = Settings.model_fields[name]
    factory = field.default_factory
    value = factory() if factory is not None else field.default  # type: ignore[call-arg]
    if isinstance(value, SecretStr):
        return "(empty)" if not value.get_secret_value() else "(set)"
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def settings_markdown() -> str:
    """``docs/configuration.md``: every setting, its environment variable, default and meaning."""
    lines = [
        "# Configuration",
        "",
        "<!-- Generated from meetmind/config.py by `meetmind config --markdown`; a test keeps",
        "     this file equal to it. Do not edit by hand. -->",
        "",
        "Every setting is an environment variable (a `.env` file in the working directory is read",
        "too). A bad value stops start-up with one line naming the variable.",
        "",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        description = (field.description or "").replace("|", "\\|")
        default = _default(name).replace("|", "\\|")
        lines.append(f"| `{ENV_PREFIX}{name.upper()}` | `{default}` | {description} |")
    return "\n".join(lines) + "\n"
