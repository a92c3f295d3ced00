"""Transforms shared by several specs."""

from __future__ import annotations

from . import Spec, transform


@transform("v1", "v2", "starship")
def shorten_info_description(spec: Spec) -> None:
    """Keep only the first paragraph of ``info.description``.

    The generator copies ``info.description`` into the header of every generated file; the
    v1 overview is about 10 KB, which alone made up a third of the generated package. The
    full text stays in ``openapi/``.
    """
    info = spec.get("info", {})
    description = info.get("description")
    if isinstance(description, str):
        paragraphs = [p.strip() for p in description.strip().split("\n\n") if p.strip()]
        first = next((p for p in paragraphs if not p.startswith("#")), "")
        info["description"] = " ".join(first.split())
