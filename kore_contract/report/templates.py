"""The Jinja2 environments: HTML autoescaped, Markdown with explicit filters (JUnit XML has
its own writer, `kore_contract.common.junit`).

Every value a template prints passes `finalize`: control characters and lone surrogates
become visible escapes (`escape.visible`).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jinja2
import markupsafe

from kore_contract.common.escape import visible

#: Markdown's punctuation that can start markup in a cell (HTML's `<`, `>`, `&` are
#: written as entities, which Markdown and HTML alike read as the character).
MD_SPECIAL = re.compile(r"([\\|`*_\[\]#~!])")
HTML_CHARACTERS = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def md_cell(value: Any) -> str:
    """Text for a Markdown table cell: one line, Markdown and HTML characters escaped."""
    text = " ".join(str(value).split()).translate(HTML_CHARACTERS)
    return MD_SPECIAL.sub(r"\\\1", text)


def md_html(value: Any) -> str:
    """Text inside a raw HTML line of a Markdown page (`<summary>`): one line, HTML-escaped,
    and `|` escaped so that a table cannot start there."""
    text = " ".join(str(value).split())
    return str(markupsafe.escape(text)).replace("|", "&#124;")


def md_code(value: Any) -> str:
    """Inline code that survives backticks and pipes in the text (`<` needs nothing: code
    spans show HTML as text)."""
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
    """`kind` is "html" or "md"."""
    loader = jinja2.PackageLoader("kore_contract.report", "templates")
    if kind == "md":
        env = jinja2.Environment(
            loader=loader,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            finalize=visible,
        )
        env.filters.update(cell=md_cell, code=md_code, fence=md_fence, html=md_html)
        return env
    return jinja2.Environment(
        loader=loader,
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        finalize=visible,
    )


def render_template(kind: str, name: str, **context: Any) -> str:
    return environment(kind).get_template(name).render(**context)
