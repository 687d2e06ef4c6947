"""Input expansion: files, folders, globs, collisions, and never overwriting an input."""

from pathlib import Path

from colorizer.inputs import collect_inputs, safe_output_path


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_folder_is_recursive_and_keeps_layout(tmp_path):
    _touch(tmp_path / "in" / "a.jpg")
    _touch(tmp_path / "in" / "sub" / "b.PNG")
    _touch(tmp_path / "in" / "notes.txt")
    _touch(tmp_path / "in" / ".hidden" / "c.jpg")
    items, errors = collect_inputs([str(tmp_path / "in")], tmp_path / "out")
    assert not errors
    assert [(i.source.name, i.output_stem) for i in items] == [
        ("a.jpg", tmp_path / "out" / "a"),
        ("b.PNG", tmp_path / "out" / "sub" / "b"),
    ]


def test_globs_files_and_missing_arguments(tmp_path):
    _touch(tmp_path / "x1.jpg")
    _touch(tmp_path / "x2.jpg")
    named = _touch(tmp_path / "weird.dat")
    items, errors = collect_inputs([str(tmp_path / "x*.jpg"), str(named), str(tmp_path / "missing.jpg"), str(tmp_path / "z*.png")], tmp_path / "out")
    assert [i.source.name for i in items] == ["x1.jpg", "x2.jpg", "weird.dat"]
    assert errors == [f"{tmp_path / 'missing.jpg'}: no such file or folder", f"{tmp_path / 'z*.png'}: the pattern matches no files"]


def test_same_name_from_two_places_is_disambiguated_and_duplicates_dropped(tmp_path):
    a = _touch(tmp_path / "one" / "photo.jpg")
    b = _touch(tmp_path / "two" / "photo.jpg")
    items, _ = collect_inputs([str(a), str(b), str(a)], tmp_path / "out")
    assert [i.output_stem.name for i in items] == ["photo", "photo-2"]


def test_outputs_inside_the_input_folder_are_not_read_again(tmp_path):
    _touch(tmp_path / "photos" / "a.jpg")
    _touch(tmp_path / "photos" / "colorized" / "a.jpg")
    items, _ = collect_inputs([str(tmp_path / "photos")], tmp_path / "photos" / "colorized")
    assert [i.source for i in items] == [tmp_path / "photos" / "a.jpg"]


def test_safe_output_path_never_returns_an_input(tmp_path):
    source = _touch(tmp_path / "a.jpg")
    assert safe_output_path(tmp_path / "a", ".jpg", {source.resolve()}) == tmp_path / "a_colorized.jpg"
    assert safe_output_path(tmp_path / "a", ".png", {source.resolve()}) == tmp_path / "a.png"
