"""Downloads against a local HTTP server (with Range support): resume, checksums, mirrors, offline
messages, dataset downloads, and safe tar extraction. No real network."""

from __future__ import annotations

import gzip
import hashlib
import io
import socket
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from test_data_datasets import cifar_bytes, idx_bytes

from tinytorch.data import CIFAR10, MNIST, ChecksumError, DownloadError, download_url, extract_tar


class Handler(BaseHTTPRequestHandler):
    """Serves `server.files`; honours `Range: bytes=N-` unless `server.ignore_range`; for paths in
    `server.cut_once`, sends only that many bytes of the body the first time, then hangs up."""

    def do_GET(self) -> None:
        server = self.server
        range_header = self.headers.get("Range")
        server.requests.append((self.path, range_header))
        body = server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start = 0
        if range_header and not server.ignore_range:
            start = int(range_header.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        payload = body[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        cut = server.cut_once.pop(self.path, None)
        self.wfile.write(payload if cut is None else payload[:cut])

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.files, httpd.requests, httpd.cut_once, httpd.ignore_range = {}, [], {}, False
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def dead_url():
    """A URL on a local port nobody listens on: connecting is refused, as when offline."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


PAYLOAD = bytes(range(256)) * 400  # 102 400 bytes
MD5 = hashlib.md5(PAYLOAD).hexdigest()


def test_download_checks_and_caches(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    dest = download_url(server.url + "/f.bin", tmp_path / "sub" / "f.bin", md5=MD5, progress=False)
    assert dest.read_bytes() == PAYLOAD and not (tmp_path / "sub" / "f.bin.part").exists()
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    download_url(server.url + "/f.bin", dest, md5=MD5, sha256=sha, progress=False)
    assert len(server.requests) == 1  # the second call found the file and its checksums right


def test_download_resumes_a_part_file_with_a_range_request(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:30_000])
    download_url(server.url + "/f.bin", tmp_path / "f.bin", md5=MD5, progress=False)
    assert server.requests == [("/f.bin", "bytes=30000-")]
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_download_resumes_after_the_connection_drops(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    server.cut_once["/f.bin"] = 40_000
    download_url(server.url + "/f.bin", tmp_path / "f.bin", md5=MD5, progress=False)
    assert server.requests == [("/f.bin", None), ("/f.bin", "bytes=40000-")]
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_download_restarts_when_the_server_ignores_range(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    server.ignore_range = True
    (tmp_path / "f.bin.part").write_bytes(b"x" * 500)  # stale bytes that must not survive
    download_url(server.url + "/f.bin", tmp_path / "f.bin", md5=MD5, progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_complete_part_file_is_not_downloaded_again(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD)
    download_url(server.url + "/f.bin", tmp_path / "f.bin", md5=MD5, progress=False)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD  # the server said 416: nothing left to fetch


def test_checksum_mismatch_deletes_the_bytes(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    wrong = "0" * 32
    with pytest.raises(ChecksumError, match=rf"f.bin does not match .*md5 {MD5} != expected {wrong}"):
        download_url(server.url + "/f.bin", tmp_path / "f.bin", md5=wrong, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_mirrors_are_tried_in_order(server, tmp_path, dead_url):
    server.files["/good/f.bin"] = PAYLOAD
    urls = [dead_url + "f.bin", server.url + "/missing/f.bin", server.url + "/good/f.bin"]
    download_url(urls, tmp_path / "f.bin", md5=MD5, progress=False)
    assert [path for path, _ in server.requests] == ["/missing/f.bin", "/good/f.bin"]


def test_offline_error_lists_every_url(tmp_path, dead_url):
    with pytest.raises(DownloadError, match=rf"could not download f.bin: {dead_url}f.bin: .*refused"):
        download_url(dead_url + "f.bin", tmp_path / "f.bin", progress=False, timeout=5)
    assert not (tmp_path / "f.bin").exists()


# ------------------------------------------------------------------------------------ datasets

def serve_mnist(server, monkeypatch) -> dict:
    rng = np.random.default_rng(0)
    arrays = {split: (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8))
              for split, n in (("train", 6), ("t10k", 2))}
    resources = []
    for split, (x, y) in arrays.items():
        for name, array in ((f"{split}-images-idx3-ubyte.gz", x), (f"{split}-labels-idx1-ubyte.gz", y)):
            data = gzip.compress(idx_bytes(array))
            server.files[f"/mnist/{name}"] = data
            resources.append((name, hashlib.md5(data).hexdigest()))
    monkeypatch.setattr(MNIST, "mirrors", [server.url + "/nothing/", server.url + "/mnist/"])
    monkeypatch.setattr(MNIST, "resources", resources)
    return arrays


def test_mnist_download(server, tmp_path, monkeypatch):
    arrays = serve_mnist(server, monkeypatch)
    ds = MNIST(tmp_path, download=True)
    np.testing.assert_array_equal(ds.data, arrays["train"][0])
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(name for name, _ in MNIST.resources)
    count = len(server.requests)
    assert len(MNIST(tmp_path, train=False, download=True)) == 2
    assert len(server.requests) == count  # already there: no network


def test_mnist_offline_message(tmp_path, monkeypatch, dead_url):
    monkeypatch.setattr(MNIST, "mirrors", [dead_url])
    with pytest.raises(DownloadError) as info:
        MNIST(tmp_path, download=True)
    message = str(info.value)
    for expected in ("MNIST: download failed", "refused", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
                     f"in {tmp_path / 'mnist'}", f"NumPy archive {tmp_path / 'mnist.npz'}", "x_train (60000, 28, 28)"):
        assert expected in message


def cifar_archive(records: int) -> bytes:
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin", "batches.meta.txt"]:
            images = rng.integers(0, 256, (records, 32, 32, 3), dtype=np.uint8)
            data = cifar_bytes(images, np.full(records, 7)) if name.endswith(".bin") else b"airplane\n"
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_cifar10_download_and_extract(server, tmp_path, monkeypatch):
    archive = cifar_archive(records=2)
    server.files["/cifar-10-binary.tar.gz"] = archive
    monkeypatch.setattr(CIFAR10, "url", server.url + "/cifar-10-binary.tar.gz")
    monkeypatch.setattr(CIFAR10, "md5", hashlib.md5(archive).hexdigest())
    monkeypatch.setattr(CIFAR10, "records_per_file", 2)
    ds = CIFAR10(tmp_path, download=True)
    assert ds.data.shape == (10, 32, 32, 3) and set(ds.targets.tolist()) == {7}
    assert (tmp_path / "cifar-10-binary.tar.gz").exists()
    assert (tmp_path / "cifar-10-batches-bin" / "test_batch.bin").exists()
    assert len(CIFAR10(tmp_path, train=False, download=True)) == 2 and len(server.requests) == 1


def test_cifar10_offline_message(tmp_path, monkeypatch, dead_url):
    monkeypatch.setattr(CIFAR10, "url", dead_url + "cifar-10-binary.tar.gz")
    with pytest.raises(DownloadError) as info:
        CIFAR10(tmp_path, download=True)
    message = str(info.value)
    for expected in ("CIFAR10: download failed", "data_batch_5.bin", str(tmp_path / "cifar-10-batches-bin"),
                     "cifar-10-binary.tar.gz (md5 c32a1d4ab5d03f1284b67883e8d87530)", str(tmp_path / "cifar10.npz")):
        assert expected in message


# ------------------------------------------------------------------------------------ tar safety

def make_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info


def test_extract_tar_writes_files_and_folders(tmp_path):
    archive = make_tar(tmp_path / "ok.tar.gz", [(member("d", tarfile.DIRTYPE), b""), (member("d/a.txt"), b"hello"),
                                                (member("d/e/b.txt"), b"bye")])
    written = extract_tar(archive, tmp_path / "out")
    assert (tmp_path / "out" / "d" / "a.txt").read_bytes() == b"hello"
    assert sorted(p.name for p in written) == ["a.txt", "b.txt"]


@pytest.mark.parametrize("bad, reason", [
    (member("../evil.txt"), "would be written outside"),
    (member("d/../../evil.txt"), "would be written outside"),
    (member("/tmp/evil.txt"), "would be written outside"),
    (member("link", tarfile.SYMTYPE, "/etc/passwd"), "not a regular file or folder"),
    (member("hard", tarfile.LNKTYPE, "../evil.txt"), "not a regular file or folder"),
    (member("fifo", tarfile.FIFOTYPE), "not a regular file or folder"),
])
def test_extract_tar_refuses_escapes_before_writing_anything(tmp_path, bad, reason):
    archive = make_tar(tmp_path / "bad.tar.gz", [(member("first.txt"), b"ok"), (bad, b"x")])
    with pytest.raises(ValueError, match=reason):
        extract_tar(archive, tmp_path / "out" / "inner")
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.txt").exists()


def test_extract_tar_corrupt_archive(tmp_path):
    good = make_tar(tmp_path / "ok.tar.gz", [(member("a.txt"), bytes(range(256)) * 1000)]).read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="cut.tar.gz is (corrupt or truncated|not a readable tar archive)"):
        extract_tar(tmp_path / "cut.tar.gz", tmp_path / "out")
