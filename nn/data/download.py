"""Fetch a file over HTTP(S) into a folder: streamed, size-capped, deadline-bound, atomic.

Every way a mirror can misbehave (refused connection, HTTP error, a body cut short, bytes that
are not HTTP, a trickle that never ends, a flood with no Content-Length) becomes one
`DownloadError` naming the URL, so the caller can try the next mirror.
"""

from __future__ import annotations

import http.client
import os
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

__all__ = ["DownloadError", "fetch"]

_CHUNK = 1 << 16


class DownloadError(OSError):
    """One URL could not be fetched (network, protocol, size or deadline); names the URL."""


def fetch(
    url: str,
    target: Path,
    *,
    max_bytes: int,
    timeout: float,
    deadline: float,
    check: Callable[[Path], None] | None = None,
) -> Path:
    """Stream `url` into `target` (via a temp file beside it) and return `target`.

    `timeout` bounds each socket wait, `deadline` the whole transfer (seconds), `max_bytes`
    the body size; `check(tmp_path)` may raise to reject the content before it is renamed
    into place. A failure leaves no partial file.
    """
    tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as out:
            declared = resp.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise DownloadError(
                    f"{url}: Content-Length {declared} exceeds the expected size ({max_bytes} "
                    "bytes at most)"
                )
            got = 0
            while True:
                if time.monotonic() - start > deadline:
                    raise DownloadError(
                        f"{url}: transfer did not finish within {deadline:g} s "
                        f"({got} bytes received)"
                    )
                chunk = resp.read1(_CHUNK)
                if not chunk:
                    break
                got += len(chunk)
                if got > max_bytes:
                    raise DownloadError(
                        f"{url}: body exceeds the expected size ({max_bytes} bytes at most); "
                        "not a genuine copy of the file"
                    )
                out.write(chunk)
            if declared is not None and declared.isdigit() and got != int(declared):
                raise DownloadError(
                    f"{url}: IncompleteRead: the body ended after {got} of {declared} bytes"
                )
            out.flush()
            os.fsync(out.fileno())
    except DownloadError:
        _remove(tmp)
        raise
    except urllib.error.HTTPError as e:
        _remove(tmp)
        raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from e
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
        _remove(tmp)
        raise DownloadError(f"{url}: {type(e).__name__}: {e}") from e
    try:
        if check is not None:
            check(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
        return target
    finally:
        _remove(tmp)


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
