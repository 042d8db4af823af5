"""QR codes as inline SVG: no external image, no script, scaled by CSS."""

import segno


def qr_svg(payload: str) -> str:
    """Always a full QR code (segno.make picks Micro QR for short payloads, which phone cameras and
    BarcodeDetector cannot read), with a viewBox instead of a fixed size."""
    return segno.make_qr(payload, error="m").svg_inline(dark="#14261c", light="#ffffff", border=4, omitsize=True)
