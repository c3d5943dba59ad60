"""The Jinja2 environments: HTML and XML autoescaped, Markdown with explicit filters."""

from __future__ import annotations

import functools
import re
from typing import Any

import jinja2

#: Characters XML 1.0 cannot carry at all, even escaped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
MD_SPECIAL = re.compile(r"([\\|`*_\[\]<>#])")


def xml_safe(value: Any) -> Any:
    return NOT_XML.sub("\ufffd", value) if isinstance(value, str) else value


def md_cell(value: Any) -> str:
    """Text for a Markdown table cell: one line, Markdown and HTML characters escaped."""
    text = " ".join(str(value).split())
    return MD_SPECIAL.sub(r"\\\1", text).replace("&", "&amp;")


def md_code(value: Any) -> str:
    """Inline code that survives backticks and pipes in the text."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    ticks = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def md_fence(value: Any, info: str = "") -> str:
    """A fenced block longer than any backtick run inside it."""
    text = str(value).rstrip("\n")
    fence = "`" * max(3, max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    return f"{fence}{info}\n{text}\n{fence}"


@functools.cache
def environment(kind: str) -> jinja2.Environment:
    """`kind` is "html", "xml" or "md"."""
    loader = jinja2.PackageLoader("kore_contract.report", "templates")
    if kind == "md":
        env = jinja2.Environment(loader=loader, autoescape=False, keep_trailing_newline=True,
                                 trim_blocks=True, lstrip_blocks=True,
                                 undefined=jinja2.StrictUndefined)
        env.filters.update(cell=md_cell, code=md_code, fence=md_fence)
        return env
    return jinja2.Environment(
        loader=loader,
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        finalize=xml_safe if kind == "xml" else None,
    )


def render_template(kind: str, name: str, **context: Any) -> str:
    return environment(kind).get_template(name).render(**context)
