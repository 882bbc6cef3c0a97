"""The subtopic from what the paper says as well as whom it builds on (issue 23)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from alphatree_ingest.catalog import Catalog
from alphatree_ingest.drafting.draft import build_entry, suggest_topic
from alphatree_ingest.models import Extraction, Paper, Translation

CATALOG = Catalog(Path(__file__).resolve().parent.parent / "catalog").load()


def _paper(title: str, abstract: str) -> Paper:
    return Paper(
        arxiv_id="2611.04321",
        title=title,
        authors=[],
        abstract=abstract,
        published=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        pdf_url="http://x/pdf",
    )


def _topic(paper: Paper, root: str, parents: list[str], names: dict[str, int] | None = None) -> tuple:
    return suggest_topic(root, parents, CATALOG.entries, paper=paper, topics=CATALOG.topics, names=names)


def test_a_compact_network_built_on_resnet_is_a_lightweight_model() -> None:
    """Bug: the subtopic followed the parents, so a compact network whose parent is ResNet ended in
    `classification` instead of `classification/lightweight`."""
    paper = _paper(
        "TinyNet: Extremely Small Networks for Mobile Devices",
        "We design a compact convolutional network for mobile devices with very limited computing "
        "power. With pointwise group convolution and a channel shuffle, TinyNet needs 40 MFLOPs and "
        "beats other efficient architectures on ImageNet under the same computation budget, with a "
        "13x actual speedup over AlexNet on an ARM-based mobile phone.",
    )
    topic, evidence, _ = _topic(paper, "classification", ["resnet"], {"resnet": 6, "mobilenet": 9})
    assert topic == "classification/lightweight", evidence
    assert suggest_topic("classification", ["resnet"], CATALOG.entries)[0] == "classification"  # by parents


def test_an_image_translation_gan_is_an_application() -> None:
    """Bug: an image-to-image translation GAN whose parents are GAN and cGAN ended in `gan/basics`."""
    paper = _paper(
        "Paired Image-to-Image Translation with Conditional Adversarial Networks",
        "We investigate conditional adversarial networks as a general-purpose solution to "
        "image-to-image translation problems: synthesizing photos from label maps, reconstructing "
        "objects from edge maps, colorizing images and style transfer, among other tasks.",
    )
    topic, evidence, _ = _topic(paper, "gan", ["gan", "cgan"], {"gan": 12})
    assert topic == "gan/applications", evidence


def test_a_subtopic_is_known_by_its_keywords_even_where_its_entries_use_other_words() -> None:
    """Bug (issue 23): a compression paper built on AlexNet and VGG ended in `classification`: the
    lightweight entries speak of mobile networks, not of pruning and quantization. Each subtopic's
    `keywords` in topics.yaml say what its name means, and a curator can add to them (read here
    without the papers placed by hand, which would say it too)."""
    from alphatree_ingest.drafting import subtopic

    subtopic.fit_only(())
    try:
        _keywords_place_a_compression_paper()
    finally:
        subtopic.fit_only(None)


def _keywords_place_a_compression_paper() -> None:
    paper = _paper(
        "Shrinking Networks: Pruning, Trained Quantization and Huffman Coding",
        "Neural networks are both computationally intensive and memory intensive. We prune the "
        "connections, quantize the weights and apply Huffman coding, reducing the storage of AlexNet "
        "by 35x and of VGG-16 by 49x without loss of accuracy, with less energy.",
    )
    topic, evidence, _ = _topic(paper, "classification", ["alexnet", "vgg"])
    assert topic == "classification/lightweight", evidence
    bare = {t.id: t.model_copy(update={"keywords": ""}) for t in CATALOG.topics.values()}
    without = suggest_topic("classification", ["alexnet", "vgg"], CATALOG.entries, paper=paper, topics=bare)
    assert without[0] == "classification", without[1]  # what the tree's entries alone said


def test_the_papers_placed_by_hand_describe_their_subtopic() -> None:
    """Issue 23: compact networks ended in `classification`: a channel-pruning paper and a binary
    network speak of VGG or AlexNet and of speed, not of the mobile architectures the tree files under
    `classification/lightweight`, nor in the keywords' words. The hand-labelled papers placed there
    (`subtopic_table.json`) describe the subtopic too, and place them; without the table they are not."""
    from alphatree_ingest.drafting import subtopic

    pruned = _paper(
        "Channel Selection for Accelerating Very Deep Convolutional Networks",
        "We introduce a channel selection method to accelerate very deep convolutional networks. Given "
        "a trained network, an iterative two-step algorithm selects the channels of each layer by a LASSO "
        "regression and reconstructs the output with least squares. The accelerated VGG-16 runs 5x faster "
        "with only a small increase of error, and our method also accelerates residual networks.",
    )
    binary = _paper(
        "Binary Convolutional Networks for ImageNet Classification",
        "We propose two approximations to standard convolutional networks: networks with binary weights "
        "and networks whose inputs are binary too. Convolutions are estimated with XOR and bitcount "
        "operations, running 58x faster and saving 32x memory. The binary AlexNet reaches the accuracy of "
        "the full-precision one.",
    )
    cases = [(pruned, ["vgg"], {"vgg": 8, "resnet": 4}), (binary, ["alexnet"], {"alexnet": 9})]
    for paper, parents, names in cases:
        topic, evidence, _ = _topic(paper, "classification", parents, names)
        assert topic == "classification/lightweight", evidence
    subtopic.fit_only(())
    try:
        assert [_topic(p, "classification", ps, ns)[0] for p, ps, ns in cases] == ["classification"] * 2
    finally:
        subtopic.fit_only(None)


def test_two_close_subtopics_are_both_shown_in_the_draft() -> None:
    paper = _paper(
        "Stable GAN Training for Super-Resolution",
        "We stabilise the adversarial loss with a new regularization of the discriminator, and apply "
        "it to image super-resolution.",
    )
    entry = build_entry(
        paper,
        Extraction(),
        Translation(title_zh="", abstract_zh="", model="m", backend="b"),
        topic="gan",
        tree=CATALOG.entries,
        taken_slugs=set(),
        figure_files={},
        topics=CATALOG.topics,
    )
    shown = entry.provenance["suggestions"]["topic"]
    assert entry.topic in shown["close"] and len(shown["close"]) == 2, shown
    assert set(shown["close"]) == {"gan/training", "gan/applications"}, shown
    assert "close between" in shown["evidence"]


def _deep_net(builds_on: bool) -> tuple[Paper, Extraction]:
    """A classification paper that cites AlexNet seven times and never names it, cites VGG and names it
    again and again, and cites and names NIN (saying it builds on it when `builds_on`). A third of the
    sentences naming VGG or NIN speak of their design (the paper goes deeper than VGG), none of a
    backbone."""
    from alphatree_ingest.models import NameUse, Reference

    paper = _paper("DeepNet: Going Deeper", "We propose a deep convolutional network for classification.")
    extraction = Extraction(
        references=[
            Reference(
                text="...", title="ImageNet classification with deep convolutional neural networks", cited=7
            ),
            Reference(
                text="...",
                title="Network In Network",
                cited=3,
                builds_on="We build on NIN [2]." if builds_on else None,
            ),
            Reference(text="...", arxiv="1409.1556", cited=4),
        ],
        names={"vgg": 9, "vgg16": 3, "nin": 4},
        name_uses={
            "vgg": NameUse(sentences=9, derived=3),
            "vgg16": NameUse(sentences=3, derived=1),
            "nin": NameUse(sentences=4, derived=1),
        },
    )
    return paper, extraction


def test_parents_are_what_the_paper_builds_on_and_the_rest_is_listed_for_the_reviewer() -> None:
    """Bug (issue 23): parents were padded with much-cited entries the paper does not build on. A
    work cited seven times but never named (AlexNet in a classification paper) is background; one
    cited and named again and again (VGG) is a parent; NIN, cited and named, is one when the paper says
    it builds on it, and is listed for the reviewer when it does not. Each with its likelihood."""
    from alphatree_ingest.drafting.draft import suggest_parents

    parents, evidence = suggest_parents(*_deep_net(builds_on=True), CATALOG.entries, "classification")
    assert parents == ["vgg", "nin"], evidence
    assert any(line.startswith("likely a parent: 0.") for line in evidence["nin"])
    assert any(line.startswith("alexnet: cites") for line in evidence["also cited (not suggested)"])
    parents, evidence = suggest_parents(*_deep_net(builds_on=False), CATALOG.entries, "classification")
    assert parents == ["vgg"], evidence
    listed = evidence["also cited (not suggested)"]
    assert sorted(line.split(":")[0] for line in listed) == ["alexnet", "nin"], listed
    likely = [float(line.rsplit("likely a parent: ", 1)[1]) for line in listed]
    assert likely == sorted(likely, reverse=True), listed  # most likely first


def test_a_likelihood_shown_at_the_threshold_is_always_a_suggested_one() -> None:
    """The draft shows likelihoods with two decimals, rounded down: a candidate at 0.1497 (not
    suggested at 0.15) reads 0.14, never 0.15."""
    from alphatree_ingest.drafting.parents import shown

    assert shown(0.1497) == "0.14" and shown(0.15) == "0.15" and shown(0.1503) == "0.15"
    assert shown(0.999) == "0.99" and shown(0.0) == "0.00" and shown(0.29) == "0.29"


def test_without_the_parents_table_the_hand_rule_chooses(tmp_path: Path, monkeypatch: Any) -> None:
    """No table (a broken install), a broken one, or one without a single paper: the hand rule suggests
    what has evidence of two kinds (cited and built on, cited and named again and again), so a draft
    still gets parents, and never fails for the table."""
    from alphatree_ingest.drafting import parents as learned
    from alphatree_ingest.drafting.draft import suggest_parents

    broken = tmp_path / "broken.json"
    broken.write_text('{"papers": [{"paper": "2611.00001", "candidates": [{"entry": "vgg"}]}]}')
    cases = [(learned.TABLE, []), (tmp_path / "missing.json", None), (broken, None), (tmp_path, None)]
    try:
        for table, only in cases:
            monkeypatch.setattr(learned, "TABLE", table)
            learned.fit_only(only)
            assert learned.model() is None, table
            parents, evidence = suggest_parents(*_deep_net(builds_on=True), CATALOG.entries, "classification")
            assert sorted(parents) == ["nin", "vgg"], evidence
            assert not any("likely a parent" in line for line in evidence["vgg"])
    finally:
        monkeypatch.undo()
        learned.fit_only(None)
    assert learned.model() is not None


def test_the_parents_model_ships_fitted_on_every_labelled_paper_and_the_bench_fits_the_tune_part() -> None:
    """Like the diagram ranker: `parents_table.json` holds the candidates of every labelled paper of the
    split (tune and report), the bench fits the tune part alone. Both fits' weights say what a curator
    would: citing an entry often and naming it beside its design ("blocks", "modify") count for it,
    naming it beside "backbone" or "pretrained" against (how the paper names it carries the naming:
    the bare count of names weighs about nothing beside it); being under many of the tree's entries
    already (ResNet, GAN: cited by papers that do not build on them) counts against."""
    from alphatree_ingest.drafting import parents

    for weights in _bench_and_shipped_weights(
        parents.TABLE, parents.fit_only, parents.model, parents.ParentModel
    ):
        assert weights["cited_more"] > 0 and weights["popular"] < 0
        assert weights["derived"] > 0 > weights["backbone"]


def _bench_and_shipped_weights(table: Path, fit_only: Any, fitted: Any, cls: Any) -> list[dict[str, float]]:
    """A learned table's papers are the split's tune and report parts; `fitted()` after `fit_only` of the
    tune part is the bench's fit (`cls` on the tune papers), and without it the shipped fit (`cls` on
    all), the two different. Returns both fits' weights."""
    import json

    split = json.loads((Path(__file__).resolve().parent.parent / "bench" / "devset_split.json").read_text())
    papers = json.loads(table.read_text())["papers"]
    assert {p["paper"] for p in papers} <= set(split)
    assert {split[p["paper"]] for p in papers} == {"tune", "report"}
    tune = [p for p in papers if split[p["paper"]] == "tune"]
    try:
        fit_only(p["paper"] for p in tune)
        bench = fitted()
        assert bench is not None and bench.weights() == cls(tune).weights()
    finally:
        fit_only(None)
    shipped = fitted()
    assert shipped is not None and shipped.weights() == cls(papers).weights() != bench.weights()
    return [bench.weights(), shipped.weights()]


def _draft_diagram(figures: list, sections: list | None = None) -> str | None:
    entry = build_entry(
        _paper("IdeaGAN: A Margin for Generators", "We enforce a margin between real and fake samples."),
        Extraction(figures=figures, sections=sections or []),
        Translation(title_zh="", abstract_zh="", model="m", backend="b"),
        topic="gan",
        tree=CATALOG.entries,
        taken_slugs=set(),
        figure_files={f.number: f"figures/2611.00001/fig-{f.number}.png" for f in figures},
    )
    return entry.diagram


def test_without_an_architecture_the_illustration_of_the_idea_is_the_diagram_never_a_plot_or_photo() -> None:
    """A paper without a model diagram is shown by its illustration of the idea (as curators chose);
    plots and photo grids are never the diagram."""
    from alphatree_ingest.models import Figure

    def fig(number: str, kind: str, caption: str) -> Figure:
        return Figure(number=number, page=2, bbox=(100, 100, 500, 400), caption=caption, kind=kind)  # type: ignore[arg-type]

    plot = fig("2", "plot", "Figure 2: Loss over iterations.")
    photos = fig("3", "images", "Figure 3: Overview of generated samples on CelebA.")
    idea = fig("1", "other", "Figure 1: Illustration of our idea: a margin separates real from fake samples.")
    assert _draft_diagram([idea, plot, photos]) == "figures/2611.00001/fig-1.png"
    assert _draft_diagram([plot, photos]) == "none"


def test_the_method_names_a_caption_is_read_for_are_the_papers_own_not_a_name_it_cites() -> None:
    """A caption naming the paper's method (`own`) weighs for the diagram. The names are the title's and
    those the abstract introduces; "a recognizer called CRNN (Shi et al. 2015)" names another work, whose
    figure is no diagram of this paper (a second, narrower reading of "called X" took it). One reading
    of the abstract hides no name from the other: "we propose ... dubbed CutNet ... (CC)" gives CutNet,
    and "we propose a model for named entity recognition ... (JERN)" gives JERN."""
    from alphatree_ingest.drafting.draft import method_names

    names = method_names(
        _paper(
            "Cutting Text Recognizers for Speed",
            "We read text with a recognizer called CRNN (Shi et al. 2015). We then propose a "
            "network dubbed CutNet, and a pruning rule referred to as Channel Cut Rule (CCR).",
        )
    )
    assert "CutNet" in names and "CCR" in names
    assert "CRNN" not in names
    jern = _paper(
        "Joint Extraction",
        "We propose a joint model for named entity recognition and relation extraction, the Joint Entity "
        "Relation Network (JERN).",
    )
    assert "JERN" in method_names(jern)
    for quoted in ("“Network In Network”(NIN)", "‘Network In Network’ (NIN)"):
        assert "NIN" in method_names(_paper("Network In Network", f"A structure called {quoted}."))


def test_the_diagram_ranker_trusts_an_overview_caption_over_an_unsure_kind() -> None:
    """Bug (issue 23): the diagram could only be a figure whose single most likely kind was
    architecture, so an overview the kinds model half read as a plot (a diagram labelled with
    feature-map sizes) was never suggested. The learned ranker weighs the kind's probability with the
    caption, the figure's place in the paper and its size."""
    from alphatree_ingest.models import Figure

    overview = Figure(
        number="1",
        page=2,
        bbox=(90, 100, 520, 400),
        caption="Figure 1: Overview of the proposed network architecture.",
        kind="plot",
        kind_probs={"architecture": 0.45, "plot": 0.5, "images": 0.03, "other": 0.02},
    )
    results = Figure(
        number="2",
        page=6,
        bbox=(90, 100, 520, 300),
        caption="Figure 2: Accuracy against training time on ImageNet.",
        kind="plot",
        kind_probs={"architecture": 0.02, "plot": 0.95, "images": 0.01, "other": 0.02},
    )
    assert _draft_diagram([overview, results]) == "figures/2611.00001/fig-1.png"
    assert _draft_diagram([results]) == "none"


def test_the_diagram_is_the_whole_network_not_one_of_its_modules_nor_an_appendix_figure() -> None:
    """Bug (issue 23): of several architecture figures the ranker chose a module ("Inception module")
    or an appendix's detail over the paper's overall schema: the caption saying the whole, one naming a
    part, and a figure after the conclusion are now features of their own."""
    from alphatree_ingest.models import Figure, Section

    def arch(number: str, page: int, caption: str) -> Figure:
        probs = {"architecture": 0.97, "plot": 0.01, "images": 0.01, "other": 0.01}
        return Figure(
            number=number,
            page=page,
            bbox=(90, 100, 520, 360),
            caption=caption,
            kind="architecture",
            kind_probs=probs,
        )

    module = arch("2", 3, "Figure 2: The attention module of IdeaGAN.")
    whole = arch("3", 4, "Figure 3: The overall schema of IdeaGAN. For the modules, see Figure 2.")
    assert _draft_diagram([module, whole]) == "figures/2611.00001/fig-3.png"
    appendix = arch("6", 14, "Figure 6: Architecture of the generator used for CelebA-HQ.")
    body = arch("2", 3, "Figure 2: Architecture of the generator.")
    sections = [Section(title="1 Introduction", page=1), Section(title="6 Conclusion", page=9)]
    assert _draft_diagram([body, appendix], sections) == "figures/2611.00001/fig-2.png"


def test_the_rankers_new_features_read_the_caption_and_the_place_a_curator_reads() -> None:
    """`overall`: the caption's opening says the whole; `part`: it names a part and not the whole;
    `late`: the figure comes after the conclusion's page ("Concluding remarks" too). An appendix
    overview after the conclusion loses to the body's architecture figure."""
    from alphatree_ingest.drafting.diagram import end_page, figure_features
    from alphatree_ingest.models import Figure, Section

    def fig(number: str, page: int, caption: str) -> Figure:
        return Figure(number=number, page=page, bbox=(90, 100, 520, 360), caption=caption)

    figures = [
        fig("1", 2, "Figure 1: Overview of the proposed framework."),
        fig("2", 3, "Figure 2: The attention module of our network."),
        fig("3", 14, "Figure 3: The overall pipeline used for the ablations."),
        fig("4", 4, "Figure 4: A fully-connected head on each level."),
    ]
    sections = [
        Section(title="1 Introduction", page=1),
        Section(title="6 Concluding remarks", page=9),
        Section(title="A Proofs", page=11),
    ]
    assert end_page(sections) == 9 and end_page(sections[:1]) is None
    rows = figure_features(figures, [], [{}] * 4, end=end_page(sections))
    assert [r["overall"] for r in rows] == [1.0, 0.0, 1.0, 0.0]
    assert [r["part"] for r in rows] == [0.0, 1.0, 0.0, 1.0]
    assert [r["late"] for r in rows] == [0.0, 0.0, 1.0, 0.0]
    assert figure_features(figures, [], [{}] * 4)[2]["late"] == 0.0  # no conclusion heading: unknown

    probs = {"architecture": 0.9, "plot": 0.04, "images": 0.03, "other": 0.03}
    body, appendix = (
        fig(n, page, f"Figure {n}: Architecture of IdeaGAN.").model_copy(
            update={"kind": "architecture", "kind_probs": probs}
        )
        for n, page in (("2", 3), ("7", 13))
    )
    assert _draft_diagram([appendix, body], sections) == "figures/2611.00001/fig-2.png"


def test_the_diagram_ranker_ships_fitted_on_every_labelled_paper_and_the_bench_fits_the_tune_part() -> None:
    """The ranker is fitted from `diagram_table.json`, which holds every labelled paper of the split
    (tune and report: more papers serve unseen ones); the devset bench fits it on the tune part alone
    (`fit_only`), so the report part it scores stays unseen. Both fits' weights say what a curator
    would: an architecture-like figure, a caption that says so, an early figure count for; plots and
    photos count against."""
    from alphatree_ingest.drafting import diagram

    for weights in _bench_and_shipped_weights(
        diagram.TABLE, diagram.fit_only, diagram.ranker, diagram.Ranker
    ):
        assert weights["p_arch"] > 0 and weights["cap_arch"] > 0 and weights["arch_early"] > 0
        assert weights["p_shown"] < 0


def test_a_supplements_figure_1_is_a_figure_of_the_draft_beside_the_papers_own() -> None:
    """Issue 23: the draft names figures by key, so a supplement's figure 1 (page 14) is offered beside
    the paper's figure 1 instead of replacing it."""
    from alphatree_ingest.models import Figure

    own = Figure(number="1", page=2, bbox=(90, 100, 520, 400), caption="Figure 1: Overview of our network.")
    extra = Figure(number="1", page=14, bbox=(90, 100, 520, 300), caption="Figure 1: More samples.", series=1)
    entry = build_entry(
        _paper("IdeaGAN: A Margin for Generators", "We enforce a margin between real and fake samples."),
        Extraction(figures=[own, extra]),
        Translation(title_zh="", abstract_zh="", model="m", backend="b"),
        topic="gan",
        tree=CATALOG.entries,
        taken_slugs=set(),
        figure_files={f.key: f"figures/2611.00001/fig-{f.key}.png" for f in [own, extra]},
    )
    assert [f.file for f in entry.figures] == [
        "figures/2611.00001/fig-1.png",
        "figures/2611.00001/fig-1-p14.png",
    ]
