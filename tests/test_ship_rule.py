"""The ship rule of the aged-print issue: above the old frontier at CF 0.5–0.9, clean and aged, and no fewer faces."""

from __future__ import annotations

import json

import pytest

from training import ship_rule


def report(shift: float, faces: int = 20, cf_range: tuple[float, float] = (0.3, 1.0), data: str = "test.txt") -> dict:
    """An eval report whose frontier is PSNR = 24 − 3·(CF − 0.5)² + shift, sampled across ``cf_range``."""
    lo, hi = cf_range
    sweep = [{"saturation": s, "cf_ratio": lo + (hi - lo) * i / 6, "psnr": 0.0} for i, s in enumerate((0.5, 0.75, 0.9, 1.0, 1.25, 1.5, 1.75))]
    for point in sweep:
        point["psnr"] = 24 - 3 * (point["cf_ratio"] - 0.5) ** 2 + shift
    own = {"psnr": 23.9 + shift, "cf_ratio": 0.64, "uv_l2": 0.07, "worst_vs_gray": -9.5}
    return {"data": data, "images": 228, "saturation_sweep": sweep, "faces": {"judged": 44, "skin_toned": faces},
            "summary": {"model": own, "gray": {"psnr": 22.0}},
            "people": {"images": 30, "summary": {"model": {"psnr": 25.0 + shift}, "gray": {"psnr": 21.5}}}}


def test_a_candidate_above_on_both_kinds_with_as_many_faces_ships():
    verdict = ship_rule.judge({"clean": report(0), "aged": report(-4)}, {"clean": report(0.1), "aged": report(-3.5)})
    assert verdict.ships, verdict.reasons


@pytest.mark.parametrize("new_clean, new_aged, reason", [
    (report(0.3), report(-4.01), "aged: frontier not above"),  # far better clean, a hair worse aged
    (report(0.3, faces=19), report(-3), "fewer than the old model's 20"),
    (report(0.3, cf_range=(0.3, 0.85)), report(-3), "CF 0.9: a sweep does not reach it"),
])
def test_a_candidate_worse_on_either_kind_or_on_faces_does_not_ship(new_clean, new_aged, reason):
    verdict = ship_rule.judge({"clean": report(0), "aged": report(-4)}, {"clean": new_clean, "aged": new_aged})
    assert not verdict.ships
    assert any(reason in r for r in verdict.reasons), verdict.reasons


def test_reports_of_different_photos_are_refused():
    with pytest.raises(ValueError, match="clean reports scored different photos"):
        ship_rule.judge({"clean": report(0), "aged": report(0)}, {"clean": report(1, data="tune.txt"), "aged": report(1)})


def test_the_cli_prints_both_tables_and_the_verdict(tmp_path, capsys):
    paths = {}
    for name, r in {"old-clean": report(0), "new-clean": report(0.2), "old-aged": report(-4), "new-aged": report(-4.5)}.items():
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(r))
    ship_rule.main([arg for name, path in paths.items() for arg in (f"--{name}", str(path))])
    out = capsys.readouterr().out
    assert "| gain over gray | +1.90 dB | +2.10 dB | -2.10 dB | -2.60 dB |" in out
    assert "| new, aged | 19.49 | 19.44 | 19.37 | 19.22 | 19.02 |" in out  # the sweep and the own point, linear between
    assert "DOES NOT SHIP" in out and "aged: frontier not above" in out
