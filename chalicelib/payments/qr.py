"""QR codes for connector stickers: the connector's pay link as an SVG."""
from __future__ import annotations

import io


def pay_link(public_base_url: str, slug: str, charger_id: str, connector: int) -> str:
    from urllib.parse import quote

    return f"{public_base_url}/pay/{quote(slug, safe='')}/{quote(charger_id, safe='')}/{connector}"


def qr_svg(text: str) -> str:
    import segno

    out = io.BytesIO()
    # Error correction M survives a scuffed sticker; a quiet zone of 4 modules as the standard asks.
    segno.make_qr(text, error="m").save(out, kind="svg", scale=8, border=4, title=text)
    return out.getvalue().decode()
