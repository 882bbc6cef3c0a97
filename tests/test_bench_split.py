"""The devset's split (bench/devset.py): papers once split never move, and a batch kept whole."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))


def _papers(ids: list[str]) -> list[object]:
    from devset import Labelled

    return [Labelled(i, "gan", Path(f"{i}.pdf"), {}, "devset2/light-x") for i in ids]


def test_a_new_batch_frozen_into_one_part_stays_whole_and_old_papers_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import devset

    split_file = tmp_path / "split.json"
    split_file.write_text(json.dumps({"0001.00001": "tune", "0001.00002": "report"}))
    monkeypatch.setattr(devset, "SPLIT", split_file)
    old = ["0001.00001", "0001.00002"]
    new = [f"0002.0000{n}" for n in range(6)]
    fresh = devset.freeze(_papers(old + new), "fresh")
    assert {k: fresh[k] for k in old} == {"0001.00001": "tune", "0001.00002": "report"}
    assert {fresh[k] for k in new} == {"fresh"}
    balanced = devset.freeze(_papers(old + new))  # by topic: the new papers go half to each part
    assert [balanced[k] for k in old] == ["tune", "report"]
    assert sorted(balanced[k] for k in new) == ["report"] * 3 + ["tune"] * 3


def test_kinds_labelled_by_eye_are_read_for_tune_papers_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kinds given by eye on extraction's crops (`bench/devset2/kinds-*.json`) train the kinds
    model: they are read by page and number, a `skip` never becomes a kind, and every committed
    label belongs to a tune paper (a report or fresh paper's figures must never train it)."""
    import devset
    import kinds_table

    labels = tmp_path / "kinds-x.json"
    labels.write_text(
        json.dumps(
            [{"arxiv_id": "0001.00001", "figures": [{"page": 2, "number": "1", "kind": "architecture"}]}]
            + [{"arxiv_id": "0001.00001", "figures": [{"page": 2, "number": "1", "kind": "plot"}]}]
            + [{"arxiv_id": "0001.00002", "figures": [{"page": 5, "number": "3", "kind": "skip"}]}]
        )
    )
    monkeypatch.setattr(kinds_table, "DEVSET2", tmp_path)
    eye = kinds_table.eye_kinds()
    assert eye == {"0001.00001": {(2, "1"): "architecture"}, "0001.00002": {(5, "3"): "skip"}}

    split = devset.read_split()
    committed = sorted(devset.DEVSET2.glob("kinds-*.json"))
    assert committed
    for path in committed:
        for paper in json.loads(path.read_text()):
            assert split.get(paper["arxiv_id"]) == "tune", paper["arxiv_id"]
            kinds = {fig["kind"] for fig in paper["figures"]}
            assert kinds <= {"architecture", "plot", "images", "other", "skip"}, paper["arxiv_id"]


def test_a_figure_labelled_skip_by_eye_never_becomes_a_row_of_the_kinds_table(tmp_path: Path) -> None:
    """`skip` (a crop that is no figure) is read from the labels but never trains a kind; a figure
    labelled by eye gives one row with its kind and extraction's features."""
    import kinds_table
    import pymupdf
    from devset import Labelled

    from tests.support import draw_diagram, prose, text_box

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    prose(page, (72, 60, 540, 150), size=9)
    draw_diagram(page, (100, 170, 500, 260))
    text_box(page, pymupdf.Rect(72, 266, 540, 290), "Figure 1: Architecture of the network.", fontsize=8)
    pdf = tmp_path / "0001.00001.pdf"
    doc.save(pdf)
    paper = Labelled("0001.00001", "gan", pdf, {"figures": None}, "devset2/light-x")
    assert kinds_table.rows_of(paper, {(1, "1"): "skip"}) == []
    rows = kinds_table.rows_of(paper, {(1, "1"): "architecture"})
    assert [(r["figure"], r["kind"]) for r in rows] == [("1", "architecture")] and rows[0]["features"]
