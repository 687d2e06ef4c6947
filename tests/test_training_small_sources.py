"""The readers of DATA.md's small photo sources (2026-12-02): JPEG scenes inside Scratch projects,
jigzo's puzzle files, Scratch's cut-outs, GIMP's originals, and sdists found on a simple index."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training import fetch_photos
from training.sources import small
from training.sources.embedded_jpeg import embedded_jpegs
from training.synthetic import color_image


def _jpeg(seed: int, size: tuple[int, int] = (120, 100)) -> bytes:
    buffer = io.BytesIO()
    color_image(seed, size).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _png(size: tuple[int, int] = (20, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", size, 128).save(buffer, "PNG")
    return buffer.getvalue()


def test_every_scene_inside_a_scratch_project_comes_back_in_order(tmp_path):
    scenes = [_jpeg(1), _jpeg(2, (160, 120))]
    project = tmp_path / "usr/share/scratch/Projects/Animation/5 EweAndMe.sb"
    project.parent.mkdir(parents=True)
    project.write_bytes(b"ScratchV02" + scenes[0] + b"\xff\xd8\xff junk" + scenes[1][:400] + b"sprite" + scenes[1])
    images = list(embedded_jpegs(project))
    assert [im.size for im in images] == [(120, 100), (160, 120)]  # the junk and truncated starts are skipped
    photos = list(small.scratch_projects(tmp_path))
    assert [p.name for p in photos] == ["5-eweandme-00", "5-eweandme-01"]
    assert {p.group for p in photos} == {"5-eweandme"}, "one project's frames stay in one split"
    assert photos[1].load().size == (160, 120)


def test_a_jigzo_puzzle_gives_the_jpeg_before_its_masks(tmp_path):
    folder = tmp_path / "usr/share/games/jigzo/puzzles/00_default"
    folder.mkdir(parents=True)
    (folder / "horse-4x3.pzl").write_bytes(b"JIGZO 1\n" + _jpeg(3) + _png() + _png())
    (folder / "empty-2x2.pzl").write_bytes(b"JIGZO 1\n" + _png())
    (photo,) = small.jigzo(tmp_path)
    assert photo.name == "horse" and photo.load().size == (120, 100)


def test_scratch_costumes_are_composited_and_opaque_gifs_are_skipped(tmp_path):
    from training.sources.catalog import old_wallpapers

    walls = tmp_path / "usr/share/backgrounds"
    walls.mkdir(parents=True)
    color_image(4, (400, 300)).save(walls / "forest.jpg")
    people = tmp_path / small.SCRATCH_MEDIA / "Costumes/People"
    people.mkdir(parents=True)
    cutout = Image.new("RGBA", (60, 120), (0, 0, 0, 0))
    cutout.paste(color_image(5, (40, 100)).convert("RGBA"), (10, 10))
    for name in ("anjuli-1", "anjuli-2"):
        cutout.save(people / f"{name}.gif", transparency=0)
    Image.new("RGB", (60, 120), (200, 30, 30)).save(people / "drawn-box.gif")
    assert len(list(old_wallpapers(tmp_path))) == 1
    photos = list(small.scratch_costumes(tmp_path))
    assert [p.name for p in photos] == ["people-anjuli-1", "people-anjuli-2"]
    assert {p.group for p in photos} == {"people-anjuli"} and {p.pinned for p in photos} == {"train"}
    image = photos[0].load()
    assert image.size == (384, 384) and np.asarray(image).std() > 5


def test_gimp_originals_only_and_the_tone_mapping_photos_share_a_group(tmp_path):
    images = tmp_path / small.GIMP_IMAGES
    for name in ("filters/examples/taj_orig.jpg", "filters/examples/taj_result.jpg",
                 "filters/examples/distort/ripple-ex-orig.png", "tutorials/tone-mapping/power-lines.jpg",
                 "tutorials/tone-mapping/tree-exposed.jpg", "tutorials/quickie-crop-example-source.jpg"):
        (images / name).parent.mkdir(parents=True, exist_ok=True)
        (images / name).write_bytes(_jpeg(6))
    photos = {p.name: p.group for p in small.gimp_help(tmp_path)}
    assert photos == {"taj_orig": "taj", "ripple-ex-orig": "ripple-ex", "quickie-crop-example-source": "quickie-crop-example-source",
                      "power-lines": "tone-mapping", "tree-exposed": "tone-mapping"}


def test_an_sdist_is_found_on_the_simple_index_checked_and_only_its_images_unpacked(tmp_path, monkeypatch):
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for name, payload in (("face_recognition-1.3.0/tests/test_images/obama.jpg", _jpeg(7)),
                              ("face_recognition-1.3.0/setup.py", b"print('never run')")):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    blob = archive.getvalue()
    files = {"/simple/face-recognition/": None, "/files/face_recognition-1.3.0.tar.gz": blob}

    class Index(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
            body = files.get(self.path)
            if self.path.startswith("/simple/"):
                digest = hashlib.sha256(files["/files/face_recognition-1.3.0.tar.gz"]).hexdigest()
                body = (f'<a href="http://127.0.0.1:{self.server.server_port}/files/face_recognition-1.3.0.tar.gz'
                        f'#sha256={digest}">face_recognition-1.3.0.tar.gz</a>').encode() if body is None and "face" in self.path else None
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Index)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setattr(fetch_photos, "PYPI_SIMPLE", f"http://127.0.0.1:{server.server_port}/simple")
        fetch_photos.fetch_sdist("face-recognition", "1.3.0", tmp_path)
        unpacked = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
        assert unpacked == ["sdists/face_recognition-1.3.0/tests/test_images/obama.jpg"]
        with pytest.raises(FileNotFoundError, match="no source archive of face-recognition 9.9"):
            fetch_photos.fetch_sdist("face-recognition", "9.9", tmp_path)
        files["/files/face_recognition-1.3.0.tar.gz"] = blob[:-10] + b"0123456789"
        monkeypatch.setattr(fetch_photos, "sdist_url", lambda *a: (f"http://127.0.0.1:{server.server_port}/files/face_recognition-1.3.0.tar.gz",
                                                                   hashlib.sha256(blob).hexdigest()))
        with pytest.raises(OSError, match="sha256 does not match"):
            fetch_photos.fetch_sdist("face-recognition", "1.3.0", tmp_path)
    finally:
        server.shutdown()


def test_the_2004_wallpapers_unpacked_beside_the_pinned_1604_set_do_not_join_it(tmp_path):
    from training.sources.catalog import old_wallpapers

    walls = tmp_path / "usr/share/backgrounds"
    walls.mkdir(parents=True)
    for name in ("Bridge_by_Sander_Klootwijk", "Kleiber_by_Lukas_Baubkus", "Fossa_by_Jasper_Roks"):
        (walls / f"{name}.jpg").write_bytes(_jpeg(8))
    assert [p.name for p in old_wallpapers(tmp_path)] == ["Bridge_by_Sander_Klootwijk"]
    assert "Kleiber_by_Lukas_Baubkus" in {p.name for p in small.single_deb_photos(tmp_path)}
