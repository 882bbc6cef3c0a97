"""The seed tree and the entry contract."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from alphatree_ingest.catalog import Catalog, CatalogError, entry_to_yaml, parse_entry
from alphatree_ingest.models import CatalogEntry

REPO = Path(__file__).resolve().parent.parent
SEED = Catalog(REPO / "catalog")


def test_seed_tree_holds_every_model_of_the_overview_and_validates() -> None:
    entries = {e.id: e for e in SEED.load().entries}
    assert len(entries) == 38
    topics = SEED.topics()
    for entry in entries.values():
        assert entry.topic in topics
        assert all(p in entries for p in entry.parents), entry.id
        assert entry.summary_zh and entry.title_zh
        assert entry.status == "approved"
    assert entries["resnet"].arxiv == "1512.03385" and entries["resnet"].metrics["top5_error"] == 3.57
    assert entries["biggan"].metrics == {"FID": 9.6, "IS": 166.3}
    assert entries["lenet"].arxiv is None and entries["lenet"].year == 1998
    assert entries["wgan"].code[0].official is True
    assert entries["mnasnet"].parents == ["nasnet", "mobilenet-v2"]


def test_every_topic_of_the_overview_has_a_query_and_a_known_parent() -> None:
    topics = SEED.topics()
    assert {"classification/lightweight", "gan/applications", "face-recognition", "3d"} <= set(topics)
    for topic in topics.values():
        assert topic.query.strip()
        assert topic.parent is None or topic.parent in topics


def test_arxiv_ids_are_written_as_strings_never_floats(tmp_path: Path) -> None:
    text = (REPO / "catalog" / "tree" / "gan" / "training" / "wgan-gp.yaml").read_text()
    assert "arxiv: '1704.00028'" in text
    path = tmp_path / "e.yaml"
    path.write_text(text.replace("arxiv: '1704.00028'", "arxiv: 1704.00028"))
    with pytest.raises(CatalogError, match="arxiv: .*quoted string"):
        parse_entry(path)


def test_unknown_keys_and_bad_values_are_named(tmp_path: Path) -> None:
    data = yaml.safe_load((REPO / "catalog" / "tree" / "gan" / "basics" / "gan.yaml").read_text())
    data["colour"] = "blue"
    data["level"] = "expert"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(CatalogError) as err:
        parse_entry(path)
    assert "colour: unknown key" in str(err.value) and "level:" in str(err.value)


def test_yaml_round_trip_is_stable() -> None:
    for path, entry in ((s.path, s.entry) for s in SEED.load().tree):
        assert path.read_text() == entry_to_yaml(entry)
        assert CatalogEntry.model_validate(yaml.safe_load(entry_to_yaml(entry))) == entry


def test_ids_that_are_not_arxiv_identifiers_never_become_paths() -> None:
    for bad in ("../etc/passwd", "2401.01234/../../x", "a b", ""):
        with pytest.raises(ValueError):
            SEED.draft_path(bad)
    assert SEED.draft_path("hep-th/9901001").name == "hep-th_9901001.yaml"


def test_written_files_respect_the_umask(tmp_path: Path) -> None:
    """Drafts and state live in a tree reviewers share: files are created as `open` would, not 0600."""
    import os

    from alphatree_ingest.catalog import atomic_write

    old = os.umask(0o002)
    try:
        atomic_write(tmp_path / "a.yaml", "x: 1\n")
        assert atomic_write(tmp_path / "b.yaml", "x: 1\n", exclusive=True)
    finally:
        os.umask(old)
    assert {oct((tmp_path / n).stat().st_mode & 0o777) for n in ("a.yaml", "b.yaml")} == {"0o664"}
    assert not list(tmp_path.glob(".*.tmp"))
