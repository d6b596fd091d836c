"""Python source files: bytes to text exactly as CPython reads them."""

from __future__ import annotations

import io
import tokenize


def decode(data: bytes) -> str:
    """Bytes to text as CPython would read them: BOM, PEP 263 cookie, else UTF-8.

    Raises SyntaxError (as CPython does) when the bytes cannot be decoded.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        raise
    except LookupError as e:  # an unknown codec named in the cookie
        raise SyntaxError(str(e)) from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise SyntaxError(f"cannot decode as {encoding}: {e}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text
