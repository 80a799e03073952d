"""Module 07 — fetching dataset files: resumable, checksummed, cached, safely extracted.

`download_url(urls, dest, md5=...)`:

- cached: a `dest` whose checksum matches is used as it is, without touching the network;
- resumable: bytes go to `dest.part`; a broken download continues where it stopped, with an HTTP
  `Range: bytes=<done>-` request (servers that ignore it just send everything again);
- checksummed: the finished file must match the published MD5 / SHA-256, else it is discarded;
- mirrors: several URLs are tried in order.

`extract_tar` unpacks a `.tar.gz` refusing anything that could write outside the target folder
(absolute paths, `..`, links, devices), checked before a single byte is written.
"""

from __future__ import annotations

import hashlib
import http.client
import shutil
import tarfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

__all__ = ["ChecksumError", "DownloadError", "download_url", "extract_tar", "file_digest"]

CHUNK = 1 << 16  # bytes read per network call


class DownloadError(OSError):
    """No URL could be reached (offline, server down, interrupted too often)."""


class ChecksumError(ValueError):
    """A file's bytes do not match the checksum published for it."""


def file_digest(path: Path, algorithm: str = "md5") -> str:
    """Hex digest of a file's bytes, read in chunks (files can be larger than memory)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _checksum_problem(path: Path, md5: str | None, sha256: str | None) -> str | None:
    """None if `path` matches every given checksum, else a sentence saying which one differs."""
    for algorithm, expected in (("md5", md5), ("sha256", sha256)):
        if expected is not None:
            actual = file_digest(path, algorithm)
            if actual != expected.lower():
                return f"{algorithm} {actual} != expected {expected.lower()}"
    return None


def _progress_bar(enabled: bool):
    """A Rich progress bar for downloads (imported here: only downloads need Rich)."""
    from rich import progress as rp

    return rp.Progress(rp.TextColumn("{task.description}"), rp.BarColumn(), rp.DownloadColumn(),
                       rp.TransferSpeedColumn(), rp.TimeRemainingColumn(), disable=not enabled)


def _fetch(url: str, part: Path, timeout: float, progress: bool) -> None:
    """Append the rest of `url` to `part` (resuming from its current size); raises on any failure."""
    done = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "tinytorch"}
    if done:
        headers["Range"] = f"bytes={done}-"
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and done:  # "range not satisfiable": the part file is already complete
            return
        raise
    with response:
        if done and response.status != 206:  # the server ignored the Range header: start over
            done = 0
        elif done and not response.headers.get("Content-Range", "").startswith(f"bytes {done}-"):
            answer = response.headers.get("Content-Range")
            raise DownloadError(f"{url}: server answered the request for bytes {done}- with range {answer!r}")
        length = response.headers.get("Content-Length")
        total = done + int(length) if length is not None else None
        with open(part, "ab" if done else "wb") as out, _progress_bar(progress) as bar:
            task = bar.add_task(part.name.removesuffix(".part"), total=total, completed=done)
            while chunk := response.read(CHUNK):
                out.write(chunk)
                bar.advance(task, len(chunk))
        if total is not None and part.stat().st_size != total:
            raise DownloadError(f"{url}: connection closed after {part.stat().st_size} of {total} bytes")


def download_url(urls: str | Sequence[str], dest: str | Path, md5: str | None = None,
                 sha256: str | None = None, progress: bool = True, timeout: float = 30.0,
                 attempts: int = 3) -> Path:
    """Download the file at `urls` (one URL or mirrors, tried in order) to `dest`; return `dest`.

    Skips the download if `dest` already matches the checksums. Each URL gets `attempts` tries,
    each resuming from `dest.part`. Raises `ChecksumError` if a complete download does not match
    (the bad bytes are deleted), `DownloadError` if no URL could be fetched (the partial file is
    kept, so the next call resumes).
    """
    dest = Path(dest)
    urls = [urls] if isinstance(urls, str) else list(urls)
    if dest.exists() and _checksum_problem(dest, md5, sha256) is None:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    failures: list[str] = []
    mismatches: list[str] = []
    for url in urls:
        for _ in range(attempts):
            before = part.stat().st_size if part.exists() else 0
            try:
                _fetch(url, part, timeout, progress)
            except (http.client.HTTPException, OSError) as error:  # URLError is an OSError
                plain_url_error = type(error) is urllib.error.URLError
                failures.append(f"{url}: {error.reason if plain_url_error else error}")
                if part.exists() and part.stat().st_size > before:
                    continue  # interrupted after some progress: resume
                break  # refused, unreachable, or a server's "no" (404...): retrying will not help
            problem = _checksum_problem(part, md5, sha256)
            if problem is None:
                part.replace(dest)
                return dest
            part.unlink()
            mismatches.append(f"{url}: {problem}")
            break
    if mismatches:
        raise ChecksumError(
            f"download_url: {dest.name} does not match its published checksum ({'; '.join(mismatches)}); "
            "the downloaded bytes were deleted. The file on the server may have changed or been corrupted."
        )
    raise DownloadError(f"download_url: could not download {dest.name}: " + "; ".join(failures))


def extract_tar(archive: str | Path, dest: str | Path) -> list[Path]:
    """Extract the regular files and folders of a .tar / .tar.gz into `dest`; return the files.

    Every member is checked first: absolute names, `..` components, names resolving outside
    `dest`, links, devices and FIFOs are refused (ValueError), so a malicious archive cannot
    write anywhere else.
    """
    archive, dest = Path(archive), Path(dest).resolve()
    try:
        tar = tarfile.open(archive, "r:*")
    except tarfile.TarError as error:
        raise ValueError(f"extract_tar: {archive} is not a readable tar archive ({error})") from error
    with tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, EOFError, OSError) as error:
            raise ValueError(f"extract_tar: {archive} is corrupt or truncated ({error})") from error
        for member in members:
            name = Path(member.name)
            if not (member.isfile() or member.isdir()):
                raise ValueError(f"extract_tar: {archive.name}: refusing {member.name!r}, which is not a "
                                 "regular file or folder (links and devices are never extracted)")
            if name.is_absolute() or ".." in name.parts or not (dest / name).resolve().is_relative_to(dest):
                raise ValueError(f"extract_tar: {archive.name}: refusing {member.name!r}, "
                                 f"which would be written outside {dest}")
        written = []
        for member in members:
            target = dest / member.name
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            with source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
            written.append(target)
    return written
