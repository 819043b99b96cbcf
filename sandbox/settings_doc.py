"""The settings page, docs/settings.md, written from the settings table so the two cannot drift.

``make docs`` (or ``python -m rebilly_sandbox.settings_doc > docs/settings.md``) rewrites the
page; a test fails when the committed page differs from what this module writes.
"""

from __future__ import annotations

from rebilly_sandbox.config import SETTINGS, Setting

__all__ = ("settings_markdown",)

HEADER = """\
# Settings

<!-- Written by `make docs` from SETTINGS in sandbox/config.py: edit that table, not this page. -->

Defaults, overridden by `SANDBOX_*` environment variables, overridden by flags of
`rebilly-sandbox serve` (`--help` lists them all).

| flag | environment | default | meaning |
| --- | --- | --- | --- |
"""

FOOTER = """
Boolean variables take `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`. Each boolean setting
also has a `--no-…` flag ({negations}) that undoes a variable.

`--db`: the journal and the lock file sit beside the snapshot file (see
[Storage and serving](storage.md)). `--log-level info` writes one line per request.
"""


def shown_default(setting: Setting) -> str:
    """The default as a reader types it: `on`/`off` for switches, `none` when unset."""
    default = setting.default
    if isinstance(default, bool):
        return "on" if default else "off"
    if default is None:
        return "none"
    if isinstance(default, tuple):
        shown = ",".join(f"{item:g}" if isinstance(item, float) else item for item in default)
        return f"`{shown}`" if default else "any"
    if isinstance(default, float):
        return f"`{default:g}`"
    return f"`{default}`"


def _row(setting: Setting) -> str:
    meaning = setting.help
    for special in ("\\", "|", "<", "*", "_"):
        meaning = meaning.replace(special, "\\" + special)
    return f"| `{setting.flag}` | `{setting.env}` | {shown_default(setting)} | {meaning} |\n"


def settings_markdown() -> str:
    """The whole settings page, one table row per setting, in the table's order."""
    negations = ", ".join(f"`--no-{setting.flag[2:]}`" for setting in SETTINGS
                          if isinstance(setting.default, bool))
    rows = "".join(_row(setting) for setting in SETTINGS)
    return HEADER + rows + FOOTER.format(negations=negations)


if __name__ == "__main__":
    print(settings_markdown(), end="")
