"""The model store keeps checkpoints by content hash; the database's switch log says which one is current."""

from __future__ import annotations

from pathlib import Path

import pytest

from colorizer.checkpoint import save_checkpoint
from colorizer.store import ModelStore, StoreError, file_sha256
from db import make_engine, upgrade
from db.model_switches import ModelSwitches, NothingToRollBack
from tests.conftest import vivid_colorizer


def checkpoint(folder: Path, seed: int, **meta: object) -> Path:
    return save_checkpoint(folder / f"m{seed}.pt", vivid_colorizer(seed=seed), {"render_size": 64, "label": f"seed {seed}", **meta})


def test_store_names_files_by_hash_and_keeps_lineage_and_scores(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store")
    source = checkpoint(tmp_path, 1, steps=120, images_seen=960)
    added = store.add(source, scores={"test": {"psnr": 21.0}})
    assert added.sha256 == file_sha256(source) and added.path.read_bytes() == source.read_bytes()
    assert added.path.name == f"{added.sha256}.pt" and added.id == added.sha256[:12]
    assert added.lineage["steps"] == 120 and added.lineage["label"] == "seed 1" and added.source == str(source)
    again = store.add(source, scores={"faces": {"rate": 0.5}})  # same bytes: one model, scores merged
    assert [m.sha256 for m in store.list()] == [added.sha256]
    assert again.scores == {"test": {"psnr": 21.0}, "faces": {"rate": 0.5}}
    assert store.get(added.id).sha256 == added.sha256 == store.get(added.sha256[:6]).sha256
    store.record_scores(added.sha256, "test", {"psnr": 22.0})
    assert store.get(added.id).scores["test"] == {"psnr": 22.0}
    with pytest.raises(StoreError, match="no model"):
        store.get("ffff")


def test_store_refuses_files_that_are_not_checkpoints_and_bytes_that_do_not_match(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(StoreError, match="not a readable PyTorch checkpoint"):
        store.add(junk)
    assert store.list() == []
    model = store.add(checkpoint(tmp_path, 2))
    assert store.verified_path(model.sha256) == model.path
    data = bytearray(model.path.read_bytes())
    data[-10] ^= 0xFF  # one flipped byte on disk
    model.path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="does not match its hash"):
        store.verified_path(model.sha256)
    model.path.unlink()
    with pytest.raises(StoreError, match="missing from the store"):
        store.verified_path(model.sha256)


def test_promote_and_rollback_walk_the_switch_log(database_url: str) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        switches = ModelSwitches(engine)
        assert switches.current() is None
        with pytest.raises(NothingToRollBack, match="nothing to roll back"):
            switches.rollback()
        a = switches.promote("a" * 12, "a" * 64, baseline=("0" * 12, "0" * 64))
        assert (a.model_id, a.action) == ("a" * 12, "promote")
        assert [s.action for s in switches.history()] == ["promote", "baseline"]
        b = switches.promote("b" * 12, "b" * 64, forced=True, baseline=("9" * 12, "9" * 64))  # baseline only when empty
        assert (switches.current().sha256, b.action) == ("b" * 64, "force")
        c = switches.promote("c" * 12, "c" * 64)
        assert switches.current().id == c.id
        assert switches.rollback().sha256 == "b" * 64
        assert switches.rollback().sha256 == "a" * 64  # twice: two models back
        assert switches.rollback().sha256 == "0" * 64  # the baseline
        with pytest.raises(NothingToRollBack, match="oldest one recorded"):
            switches.rollback()
        assert switches.current().sha256 == "0" * 64
        switches.promote("d" * 12, "d" * 64)
        assert switches.rollback().sha256 == "0" * 64  # back to what was current before d
    finally:
        engine.dispose()
