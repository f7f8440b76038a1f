"""QR codes for contact cards and posters, drawn by segno as inline SVG (no image request, prints sharply)."""
from __future__ import annotations

import segno
from markupsafe import Markup, escape


def tel_uri(phone: str) -> str:
    """The URI a phone's camera offers to dial."""
    return "tel:" + "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def qr_svg(content: str, title: str = "", svgclass: str = "qr-code") -> Markup:
    """An inline <svg> QR code of `content`; sized by CSS through its viewBox."""
    qr = segno.make(content, error="m", micro=False)
    svg = qr.svg_inline(scale=1, border=2, omitsize=True, svgclass=svgclass, lineclass=None)
    label = f' role="img" aria-label="{escape(title)}"' if title else ' aria-hidden="true"'
    return Markup(svg.replace("<svg", "<svg" + label, 1))


def tel_qr_svg(phone: str, title: str = "") -> Markup:
    """An inline <svg> QR code that dials `phone`."""
    return qr_svg(tel_uri(phone), title)
