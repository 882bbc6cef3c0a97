"""The paper's own repository first, on its words; code it uses or cites: never first, never official."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from alphatree_ingest.drafting.draft import build_entry
from alphatree_ingest.models import Paper, Translation
from alphatree_ingest.pdf.extract import extract
from alphatree_ingest.pdf.references import classify_link, find_code_links

TRANSLATION = Translation(title_zh="", abstract_zh="", model="m", backend="b")


def _paper(abstract: str = "We propose a model.", comment: str | None = None) -> Paper:
    return Paper(
        arxiv_id="2611.01234",
        title="Cut Lines: A Paper",
        authors=["Ada Lovelace"],
        abstract=abstract,
        comment=comment,
        published=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
        pdf_url="http://x/pdf",
    )


def _pdf(tmp_path: Path, pages: list[tuple[str, float]]) -> Path:
    """Pages of running text; each text is set in a column `width` points wide (narrow columns break
    URLs across lines, as real two-column papers do)."""
    import pymupdf

    doc = pymupdf.open()
    for text, width in pages:
        page = doc.new_page(width=612, height=792)
        spare = page.insert_textbox(pymupdf.Rect(72, 72, 72 + width, 740), text, fontsize=9)
        assert spare >= 0
    path = tmp_path / "paper.pdf"
    doc.save(path)
    return path


def _code(
    tmp_path: Path, pages: list[tuple[str, float]], paper: Paper | None = None
) -> list[tuple[str, bool]]:
    extraction = extract(_pdf(tmp_path, pages))
    entry = build_entry(
        paper or _paper(), extraction, TRANSLATION, topic="gan", tree=[], taken_slugs=set(), figure_files={}
    )
    return [(c.url, c.official) for c in entry.code]


def test_a_url_broken_across_lines_is_rejoined(tmp_path: Path) -> None:
    text = (
        "Cut Lines: A Paper\n\nAbstract\nWe study things. Our code is available at "
        "https://github.com/tensorflow/models/tree/master/research/object_detection and more.\n\n"
        "1 Introduction\nBody text."
    )
    code = _code(tmp_path, [(text, 150)])  # a narrow column: the URL wraps after a slash
    assert code[0] == ("https://github.com/tensorflow/models", True)
    assert all(url != "https://github.com/tensorflow" for url, _ in code)


def test_the_papers_own_repository_comes_first_and_references_last(tmp_path: Path) -> None:
    front = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose CutNet. Source code is at https://github.com/zlab/cutnet.\n\n"
        "1 Introduction\nWe build on https://github.com/aaa/backbone for the encoder. "
        "Baselines come from https://github.com/bbb/baselines."
    )
    refs = (
        "References\n[1] A. Author. Axial things. https://github.com/aaa/axial-deeplab, 2020.\n"
        "[2] B. Author. Other things. https://github.com/abc/other, 2019."
    )
    extraction = extract(_pdf(tmp_path, [(front, 468), (refs, 468)]))
    entry = build_entry(
        _paper(), extraction, TRANSLATION, topic="gan", tree=[], taken_slugs=set(), figure_files={}
    )
    code = [(c.url, c.official) for c in entry.code]
    assert code == [("https://github.com/zlab/cutnet", True), ("https://github.com/bbb/baselines", False)]
    # code it builds on or only cites is not offered as the paper's code; the evidence still names it
    shown = entry.provenance["suggestions"]["code"]["evidence"]
    for url in ("aaa/backbone", "aaa/axial-deeplab", "abc/other"):
        assert any(line.startswith(f"not offered as code: https://github.com/{url}") for line in shown)


@pytest.mark.parametrize(
    "heading", ["Appendix\nA Details", "A\nNETWORK ARCHITECTURE, TEST SETUP", "A.1 Setup"]
)
def test_code_given_in_an_appendix_after_the_references_is_the_papers(tmp_path: Path, heading: str) -> None:
    """Bug (issue 23, temporal ensembling): the appendix set after the reference list, under a lettered
    heading ("A" over "NETWORK ARCHITECTURE, ...") or an "Appendix" heading at the top of its page, was
    read as part of the reference list, so "Our implementation ... is available at <url>" there was
    only a reference. The reference list before it stays one, author initials included."""
    front = "Cut Lines: A Paper\n\nAbstract\nWe study cuts.\n\n1 Introduction\nBody text."
    refs = (
        "References\n[1] A. Author and\nB.\nCutter. Axial things. https://github.com/aaa/axial, 2020.\n"
        "[2] C. Author. Other things, 2019."
    )
    appendix = f"{heading}\nOur implementation is written in PyTorch and is available at\nhttps://github.com/zlab/cutnet."
    extraction = extract(_pdf(tmp_path, [(front, 468), (refs, 468), (appendix, 468)]))
    roles = {c.url: c.role for c in extraction.code_links}
    assert roles == {"https://github.com/aaa/axial": "reference", "https://github.com/zlab/cutnet": "own"}


def test_a_footnote_ending_on_its_address_is_not_read_with_the_text_set_below_it(tmp_path: Path) -> None:
    """Bug (issue 23, LRNet): the first page's footnote "1Github: <url>" comes, in the page's order,
    between the left column's last line and the right column's first; its sentence ran on into
    "Barack Obama [24] and ...", and that citation made the paper's own repository another work's code.
    An address that ends its layout block ends its sentence; one inside a block goes on."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    left = (
        "Cut Lines: A Paper\n\nAbstract\nWe cut lines. It degrades gracefully on compressed videos.1\n\n"
        "1 Introduction\nSynthetic videos are vivid. The advent of the forged speech of"
    )
    page.insert_textbox(pymupdf.Rect(50, 60, 290, 600), left, fontsize=9)
    page.insert_textbox(
        pymupdf.Rect(50, 700, 290, 720), "1Github: https://github.com/zlab/cutnet", fontsize=7
    )
    page.insert_textbox(
        pymupdf.Rect(310, 60, 560, 600), "Barack Obama [24] and manipulated clips.", fontsize=9
    )
    path = tmp_path / "paper.pdf"
    doc.save(path)
    extraction = extract(path)
    assert [(c.url, c.role) for c in extraction.code_links] == [("https://github.com/zlab/cutnet", "mention")]
    # a sentence inside one block that ends a line on its address goes on below it
    body = (
        "Cut Lines: A Paper\n\nAbstract\nWe cut lines.\n\n1 Introduction\nLines are cut daily.\n"
        "The detector is at https://github.com/zlab/cutnet\nwhich builds on Smith et al. [24]."
    )
    assert _code(tmp_path, [(body, 468)]) == []


def test_a_work_built_on_that_the_sentence_calls_available_is_not_the_papers_code(tmp_path: Path) -> None:
    """Bug (issue 23, Decision Transformer): "We build our implementation ... off of minGPT (<url>), a
    publicly available re-implementation of GPT" made minGPT the paper's official code: "available"
    was read as the paper giving its code out, though it is said after the link, of the linked work."""
    text = (
        "Cut Lines: A Paper\n\nAbstract\nWe cut lines.1\n1Our code is at https://zlab.ai/cutlines/code\n\n"
        "1 Introduction\nWe build our implementation for Atari games off of minGPT "
        "(https://github.com/karpathy/minGPT), a publicly available re-implementation of GPT. We use "
        "https://github.com/bigco/tools and https://github.com/bigco/more, both publicly available."
    )
    roles = {c.url: (c.role, c.official) for c in extract(_pdf(tmp_path, [(text, 468)])).code_links}
    assert roles["https://github.com/karpathy/minGPT"] == ("dependency", False)
    assert roles["https://github.com/bigco/tools"] == ("dependency", False)
    assert _code(tmp_path, [(text, 468)]) == [("https://zlab.ai/cutlines/code", True)]


def test_a_footnote_mark_set_right_after_an_address_is_not_part_of_it(tmp_path: Path) -> None:
    """Bug (issue 23, DeBERTa): "released at: https://github.com/microsoft/DeBERTa¹." gave the
    repository `DeBERTa1`, marked official: the superscript mark was read as the name's last letter."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    writer = pymupdf.TextWriter(page.rect)
    font = pymupdf.Font("helv")
    writer.append((72, 80), "Cut Lines: A Paper", font=font, fontsize=16)
    writer.append((72, 120), "Abstract", font=font, fontsize=11)
    writer.append(
        (72, 140), "We cut lines. The code was released at: https://github.com/zlab/CutNet", font=font
    )
    writer.append((writer.last_point.x, 136), "1", font=font, fontsize=7)
    writer.append((writer.last_point.x, 140), ".", font=font)
    writer.append((72, 180), "1 Introduction", font=font, fontsize=11)
    writer.append((72, 200), "Lines are cut daily.", font=font)
    writer.append((72, 700), "1Our models are also at https://zlab.ai/cutnet/models", font=font, fontsize=8)
    writer.write_text(page)
    path = tmp_path / "paper.pdf"
    doc.save(path)
    links = [(c.url, c.role, c.official) for c in extract(path).code_links]
    assert links[0] == ("https://github.com/zlab/CutNet", "own", True)
    assert all("CutNet1" not in url for url, _, _ in links)


def test_a_paper_that_releases_no_code_gets_no_code_link(tmp_path: Path) -> None:
    text = (
        "Cut Lines: A Paper\n\nAbstract\nWe study things.\n\n1 Introduction\nWe implement the scorer as a "
        "BaseBeamScorer (https://github.com/tensorflow/tensorflow/blob/master/ctc_beam_scorer.h) which is "
        "passed to the decoder implementation in TensorFlow [1]."
    )
    assert _code(tmp_path, [(text, 468)]) == []


def test_a_link_in_the_arxiv_comment_is_the_papers_code() -> None:
    paper = _paper(comment="CVPR 2026. Code: https://github.com/zlab/cutnet")
    from alphatree_ingest.models import Extraction

    entry = build_entry(
        paper, Extraction(), TRANSLATION, topic="gan", tree=[], taken_slugs=set(), figure_files={}
    )
    assert entry.code[0].url == "https://github.com/zlab/cutnet" and entry.code[0].official


@pytest.mark.parametrize(
    ("sentence", "front", "role", "official"),
    [
        (
            "Our implementation uses Apex's FMHA code https://github.com/NVIDIA/apex.",
            False,
            "dependency",
            False,
        ),
        ("Code and models are publicly available at https://github.com/a/b.", True, "own", True),
        ("Code and models are publicly available at https://github.com/a/b.", False, "own", False),
        ("We release our code at https://github.com/a/b.", False, "own", True),
        # data, not code (was "mention", offered as code; issue 23)
        ("The BIG-bench tasks can be found at https://github.com/google/BIG-bench.", False, "dataset", False),
        ("We follow the training recipe of https://github.com/a/recipe.", False, "dependency", False),
        ("1https://github.com/lab/ours", True, "own", True),
        (
            "Code to train and test our models is publicly available at https://github.com/a/b.",
            False,
            "own",
            True,
        ),
        (
            "Our paper is accompanied with a publicly available reference implementation of the proposed "
            "models in Tensorflow at https://github.com/tensorflow/models/tree/master/research/deeplab.",
            True,
            "own",
            True,
        ),
        (
            "We make our TensorFlow-based implementation publicly available at https://github.com/a/b.",
            False,
            "own",
            True,
        ),
        # another work's code, beside its citation: not offered (was "mention", offered; issue 23)
        ("The features come from a public model [33]2https://github.com/x/theirs", True, "others", False),
    ],
)
def test_the_sentence_around_a_link_says_whose_code_it_is(
    sentence: str, front: bool, role: str, official: bool
) -> None:
    assert classify_link(sentence, front=front, in_references=False) == (role, official)


def test_a_bare_owner_link_joins_the_repository_it_starts() -> None:
    links = find_code_links(
        [
            "Code is available at: https://github.com/KaimingHe/ resnet-1k-layers. More at https://github.com/lab."
        ],
        front_page=False,
    )
    assert [link.url for link in links] == ["https://github.com/KaimingHe/resnet-1k-layers"]


def test_official_code_on_a_lab_page_or_a_short_link_is_the_papers_code(tmp_path: Path) -> None:
    """Bug (issue 23): code on a page outside GitHub (a lab page, a personal page, a short link) was
    not recognised; datasets and framework sites named the same way are not code."""
    lab = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose CutNet.\n\n1 Introduction\nWe train on ImageNet "
        "(http://www.image-net.org) with Caffe (http://caffe.berkeleyvision.org). Our code and trained "
        "models are publicly available at http://mmlab.example.edu.hk/projects/CutNet.html. We compare "
        "with the data at http://vision.example.edu/datasets/cuts."
    )
    assert _code(tmp_path, [(lab, 468)]) == [("http://mmlab.example.edu.hk/projects/CutNet.html", True)]
    short = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose CutNet. Code: https://bit.ly/3cutNET\n\n"
        "1 Introduction\nBody."
    )
    assert _code(tmp_path, [(short, 468)]) == [("https://bit.ly/3cutNET", True)]


def test_a_model_garden_the_paper_says_holds_its_code_is_its_code(tmp_path: Path) -> None:
    """Bug (issue 23): an organisation's model repository (a framework's model garden, a toolbox) was
    taken for a framework dependency although the paper says its implementation is there."""
    text = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose CutDet.\n\n1 Introduction\nWe implement CutDet in "
        "TensorFlow (https://github.com/tensorflow/tensorflow). Our models and code are released in "
        "the detection toolbox at https://github.com/open-mmlab/mmdetection."
    )
    code = _code(tmp_path, [(text, 468)])
    assert code[0] == ("https://github.com/open-mmlab/mmdetection", True)
    assert all("tensorflow/tensorflow" not in url for url, _ in code)


def test_inference_libraries_and_other_peoples_code_are_never_official_nor_first(tmp_path: Path) -> None:
    """Bug (issue 23): an inference library a detector was deployed with came first, and code of
    others named in a footnote ("we use the models from ...") was marked official."""
    front = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose CutDet, deployed with TensorRT "
        "(https://github.com/NVIDIA/TensorRT) at 300 FPS.\n\n1 Introduction\nFor the face crops we use "
        "the models from Zhang et al. [4]1. Our code is available at https://github.com/zlab/cutdet.\n"
        "1https://github.com/kpzhang/mtcnn"
    )
    code = _code(tmp_path, [(front, 468)])
    assert code[0] == ("https://github.com/zlab/cutdet", True)
    assert [url for url, official in code if official] == ["https://github.com/zlab/cutdet"]
    assert all("TensorRT" not in url for url, _ in code)


def test_a_repository_and_a_lab_page_both_given_the_repository_is_the_official_code(tmp_path: Path) -> None:
    text = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose CutNet. Code and models are available at "
        "http://mmlab.example.edu.hk/projects/CutNet.html and https://github.com/zlab/cutnet.\n\n"
        "1 Introduction\nBody."
    )
    assert _code(tmp_path, [(text, 468)]) == [
        ("https://github.com/zlab/cutnet", True),
        ("http://mmlab.example.edu.hk/projects/CutNet.html", False),
    ]


def test_a_footnote_mark_is_not_a_digit_inside_a_formula(tmp_path: Path) -> None:
    """The footnote's mark follows the sentence ("available.3"), not `3x3x3` or `{0,1}` nearby."""
    text = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose VoxNet.\n\n1 Introduction\nCode to train and test our "
        "models is publicly available.3 We stack 3x3x3 convolutions with targets in {0,3} and the 3-layer "
        "blocks.\n3https://github.com/zlab/voxnet"
    )
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/zlab/voxnet", True)]


def test_others_code_in_a_footnote_after_a_table_of_numbers_is_not_the_papers(tmp_path: Path) -> None:
    text = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose BoxText.\n\n1 Introduction\nText recognition is "
        "performed with a pre-trained CRNN (Shi, Bai, and Yao 2015) model1, which is implemented and "
        "released by the authors.\nMethod P R F\nOurs 0.86 0.74 0.80 0.1\nBase 0.81 0.70 0.75 0.1\n"
        "1https://github.com/bgshih/crnn"
    )
    assert _code(tmp_path, [(text, 468)]) == []


HEAD = "Cut Lines: A Paper\n\nAbstract\nWe propose CutNet.\n\n1 Introduction\nWe study cuts. "


def _roles(tmp_path: Path, text: str) -> list[tuple[str, str, bool]]:
    return [
        (link.url, link.role, link.official) for link in extract(_pdf(tmp_path, [(text, 468)])).code_links
    ]


def test_a_project_page_that_does_not_say_it_holds_code_is_not_code(tmp_path: Path) -> None:
    """A page outside the code hosts counts only when its sentence names code or models: "Project
    page: <url>" alone is not the paper's code (curators give such papers no code link)."""
    front = "Cut Lines: A Paper\n\nAbstract\nWe propose CutNet. Project page: https://zlab.github.io/cutnet"
    assert _code(tmp_path, [(front + "\n\n1 Introduction\nBody.", 468)]) == []
    body = HEAD + "Code and models are on our project page at bit.ly/cutnet-page, with videos."
    assert _code(tmp_path, [(body, 468)]) == [("http://bit.ly/cutnet-page", True)]


def test_a_framework_model_zoo_that_holds_the_papers_models_is_its_code(tmp_path: Path) -> None:
    """Bug (issue 23): a framework's model-zoo page the paper says holds ITS models was taken for the
    framework (a dependency) or ignored; the same page named for someone else's models stays out."""
    wiki = (
        HEAD + "Our models are available in the Caffe Model Zoo https://github.com/BVLC/caffe/wiki/Model-Zoo."
    )
    assert _code(tmp_path, [(wiki, 468)]) == [("https://github.com/BVLC/caffe", False)]
    site = (
        HEAD
        + "Our trained models are available in the model zoo (http://caffe.berkeleyvision.org/model_zoo.html)."
    )
    assert _code(tmp_path, [(site, 468)]) == [("http://caffe.berkeleyvision.org/model_zoo.html", False)]
    theirs = (
        HEAD + "We use the ResNet models in the model zoo (http://caffe.berkeleyvision.org/model_zoo.html)."
    )
    assert _code(tmp_path, [(theirs, 468)]) == []


def test_a_footnote_glued_to_its_mark_that_gives_the_code_is_the_papers(tmp_path: Path) -> None:
    """A footnote's text starts right after its mark ("1The source code ..."): it is its own sentence,
    not the end of the body sentence above it (which may cite others)."""
    text = (
        HEAD
        + "It beats phrase-based models (Smith et al., 2016).\n1The source code and models are available "
        "at https://\ngithub.com/zlab/cutnet.\nConvolutions are less common."
    )
    assert _roles(tmp_path, text) == [("https://github.com/zlab/cutnet", "own", True)]  # a page-1 footnote


def test_another_works_official_code_in_a_footnote_is_not_the_papers(tmp_path: Path) -> None:
    """Bug (issue 23): "... DETR [5]3" with the footnote "3Official implementation: <url>" gave DETR's
    code as the paper's."""
    text = (
        HEAD + "We compare with DETR [5]3 and others.\n3Official implementation: https://github.com/fb/detr\n"
    )
    assert _code(tmp_path, [(text, 468)]) == []
    cited = (
        HEAD
        + "We compare with the public code of the tracker (Smith and Jones, 2019) https://github.com/sj/trk."
    )
    assert _code(tmp_path, [(cited, 468)]) == []


def test_a_library_the_detector_is_run_or_deployed_with_is_not_its_code(tmp_path: Path) -> None:
    """Bug (issue 23): an inference library a detector was run with was offered as its code."""
    text = (
        HEAD + "We run the detector with https://github.com/acme/fastinfer at 30 FPS. The model is converted "
        "to TensorFlow Lite (https://github.com/tensorflow/tflite-micro) for phones."
    )
    assert _code(tmp_path, [(text, 468)]) == []


def test_a_dataset_link_is_not_code(tmp_path: Path) -> None:
    """A repository given for data ("Our dataset is available at", "the benchmark tasks can be found
    at") is not the paper's code; code and data given together are."""
    text = (
        HEAD
        + "Our dataset is available at https://github.com/zlab/cutdata. The benchmark tasks can be found "
        "at https://github.com/org/bench."
    )
    assert _code(tmp_path, [(text, 468)]) == []
    both = HEAD + "Our code and dataset are available at https://github.com/zlab/cutnet."
    assert _code(tmp_path, [(both, 468)]) == [("https://github.com/zlab/cutnet", True)]


def test_the_method_named_as_the_subject_of_available_is_the_papers_code(tmp_path: Path) -> None:
    """ "<Method> is implemented in C++ and is available at <url>": the paper's code, although the
    sentence says "implemented in" (which alone reads as a dependency)."""
    text = (
        HEAD
        + "Cut Lines is implemented in Python and C++ and is available under the MIT License at https://github.com/zlab/cutnet."
    )
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/zlab/cutnet", False)]


def test_a_second_link_of_the_sentence_is_judged_on_its_own_words(tmp_path: Path) -> None:
    """ "Our code is available at A, built on B [3]": B is code the paper builds on, not its own."""
    text = (
        HEAD
        + "Our code is available at https://github.com/zlab/cutnet, built on "
        + "https://github.com/other/base [3]."
    )
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/zlab/cutnet", True)]


def _linked(tmp_path: Path, text: str, links: list[tuple[str, str]]) -> Path:
    """One page of text with link annotations set on the given anchor words (as hyperref does)."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    assert page.insert_textbox(pymupdf.Rect(72, 72, 540, 740), text, fontsize=9) >= 0
    for anchor, uri in links:
        (where,) = page.search_for(anchor)[:1]
        page.insert_link({"kind": pymupdf.LINK_URI, "from": where, "uri": uri})
    path = tmp_path / "linked.pdf"
    doc.save(path)
    return path


def _drafted(pdf: Path, paper: Paper | None = None) -> list[tuple[str, bool]]:
    entry = build_entry(
        paper or _paper(), extract(pdf), TRANSLATION, topic="gan", tree=[], taken_slugs=set(), figure_files={}
    )
    return [(c.url, c.official) for c in entry.code]


def test_a_url_the_line_break_cut_or_hyphenated_takes_the_link_annotations_address(tmp_path: Path) -> None:
    """The text shows `github.com/zlab/deep` + newline + `lines` (or `deep-` + `lines`); the link
    annotation carries the real address, which wins over the cut or hyphenated text."""
    for shown in ("https://github.com/zlab/deep\nlines", "https://github.com/zlab/deep-\nlines"):
        text = HEAD + f"Our code is available at {shown} for all."
        pdf = _linked(tmp_path, text, [("https://github.com/zlab/deep", "https://github.com/zlab/deeplines")])
        assert _drafted(pdf) == [("https://github.com/zlab/deeplines", True)]


def test_an_underscore_the_text_lost_is_taken_from_the_link_annotation(tmp_path: Path) -> None:
    """PyMuPDF reads some fonts' `_` as a blank (`github.com/zlab/bert score`); the link annotation set
    on the address carries `bert_score`, which is the paper's repository, not `zlab/bert`."""
    text = HEAD + "Our code is available at https://github.com/zlab/bert score for all to use."
    pdf = _linked(tmp_path, text, [("https://github.com/zlab/bert", "https://github.com/zlab/bert_score")])
    assert _drafted(pdf) == [("https://github.com/zlab/bert_score", True)]


def test_a_repository_named_as_the_method_is_the_papers_code_beside_a_citation(tmp_path: Path) -> None:
    """The paper ("Cut Lines: A Paper") gives its code next to a citation or a "based on": the repository
    named as its method is still its code (offered, not marked official); the library it is based on
    stays unoffered."""
    body = (
        "4 Experiments\nOur encoder follows the line cutting of [12] "
        "(https://github.com/zlab/cut-lines), and the training is based on "
        "https://github.com/open-mmlab/mmcv for all runs. We train for ten epochs on four GPUs.\n"
    )
    assert _code(tmp_path, [(HEAD, 468), (body, 468)]) == [("https://github.com/zlab/cut-lines", False)]


def test_a_link_only_in_an_annotation_is_judged_on_its_own_sentence(tmp_path: Path) -> None:
    """Links set on words ("their code", "here") carry no address in the text: each is judged on the
    sentence its words sit in, not on the whole paragraph (where another sentence says "our code")."""
    text = (
        HEAD + "For faces we run the detector of the previous work with their code. Our code and models "
        "are available here. We train for ten epochs."
    )
    links = [("their code", "https://github.com/prev/facedet"), ("here", "https://github.com/zlab/cutnet")]
    assert _drafted(_linked(tmp_path, text, links)) == [("https://github.com/zlab/cutnet", True)]


def test_code_the_acknowledgements_or_their_code_name_is_someone_elses(tmp_path: Path) -> None:
    """Bug (issue 23): a link in the acknowledgements or beside "their code" / "we thank" was offered
    as the paper's code (it has none of its own here)."""
    text = (
        HEAD + "We train with the released weights of the detector, for which we are grateful to its "
        "authors for sharing their code https://github.com/prev/facedet with us.\n\nAcknowledgements\n"
        "This work was supported by a grant. The tracker at https://github.com/lab/tracker was written by "
        "J. Doe.\n\nReferences\n[1] A. Author. Things. 2020."
    )
    assert _code(tmp_path, [(text, 468)]) == []
    ours = HEAD + "Our code is available at https://github.com/zlab/cutnet.\n\nAcknowledgements\nWe thank X."
    assert _code(tmp_path, [(ours, 468)]) == [("https://github.com/zlab/cutnet", True)]


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ("Code and data are available at cutt.ly/cutNet7", "http://cutt.ly/cutNet7"),
    ],
)
def test_the_ways_a_title_page_gives_the_papers_code(tmp_path: Path, given: str, url: str) -> None:
    """ "Code and data are available at" with a short link (no scheme): the paper's own, official."""
    front = f"Cut Lines: A Paper\n\nAbstract\nWe propose CutNet. {given}\n\n1 Introduction\nBody."
    assert _code(tmp_path, [(front, 468)]) == [(url, True)]


def test_code_and_models_given_with_an_ampersand_in_the_body_are_the_papers(tmp_path: Path) -> None:
    text = HEAD + "We train for ten epochs. Code & models: https://github.com/zlab/cutnet"
    assert _roles(tmp_path, text) == [("https://github.com/zlab/cutnet", "own", False)]


def test_code_given_in_a_first_page_footnote_is_official(tmp_path: Path) -> None:
    """A footnote at the foot of page 1, below the Introduction's start: "1Code is available at <url>"
    is the title page's statement of the paper's code; the same words on page 3 are not official."""
    text = HEAD + "We cut lines1 in many ways.\n1Code is available at https://github.com/zlab/cutnet"
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/zlab/cutnet", True)]
    later = [
        (HEAD, 468),
        ("More body.", 468),
        ("We cut lines1.\n1Code is available at https://github.com/zlab/cutnet", 468),
    ]
    assert _code(tmp_path, later) == [("https://github.com/zlab/cutnet", False)]


@pytest.mark.parametrize(
    "phrase",
    [
        "The code will be made publicly available at",
        "The trained models can be downloaded from",
        "We have released the code at",
        "An implementation is available at",
        "GitHub repo:",
    ],
)
def test_more_ways_the_body_gives_the_papers_code_put_it_first(tmp_path: Path, phrase: str) -> None:
    """The paper's own words put its code before a repository it only names earlier."""
    text = (
        HEAD
        + f"Plots like those of https://github.com/x/plots are shown. {phrase} https://github.com/zlab/cutnet."
    )
    assert _code(tmp_path, [(text, 468)])[0][0] == "https://github.com/zlab/cutnet"


def test_a_footnote_on_a_used_model_is_not_the_papers_code(tmp_path: Path) -> None:
    """The footnote's mark sits on "we initialise with a pretrained ResNet1": its "The pretrained model
    is available at <url>" gives that model's code, not the paper's, even on the first page."""
    text = (
        HEAD + "We initialise with a pretrained ResNet1 and train.\n1The pretrained model is available at "
        "https://github.com/other/resnet"
    )
    assert _code(tmp_path, [(text, 468)]) == []


def test_words_broken_across_lines_are_read_as_one_sentence(tmp_path: Path) -> None:
    """Bug: "can\\nbe found at" or "build\\non" split by the line end were not read, so the paper's
    code was a mere mention (after another one) and code it builds on was offered."""
    text = (
        HEAD + "Plots like those of https://github.com/x/plots are shown. We build\non "
        "https://github.com/other/base for the encoder. The trained models can\nbe found at "
        "https://github.com/zlab/cutnet."
    )
    code = _code(tmp_path, [(text, 468)])
    assert code[0][0] == "https://github.com/zlab/cutnet"
    assert all("other/base" not in url for url, _ in code)


def test_an_implementation_on_top_of_another_repository_does_not_make_it_the_papers(tmp_path: Path) -> None:
    """ "Code of these results are in <url>" gives code out; "The implementation is on top of <url>"
    names what the code is built on, not where it is."""
    text = HEAD + "The implementation is on top of https://github.com/other/base for the encoder."
    assert _code(tmp_path, [(text, 468)]) == []


def test_code_the_paper_compares_with_is_not_its_code(tmp_path: Path) -> None:
    """Bug (issue 23): "We compare against the detector (<url>)" and "the authors of X provide code at
    <url>" offered another work's code to a paper that releases none."""
    text = (
        HEAD + "We compare against the YOLO detector (https://github.com/acme/yolo-port) on COCO. The "
        "authors of the tracker provide code at https://github.com/acme/tracker."
    )
    assert _code(tmp_path, [(text, 468)]) == []


def test_a_repository_name_broken_after_its_dot_is_rejoined(tmp_path: Path) -> None:
    """`github.com/zlab/pose.` + newline + `pytorch`: the usual name ending is the URL's own; a sentence
    after a URL that ends with a full stop is not."""
    text = HEAD + "Our code is available at https://github.com/zlab/pose.\npytorch. We train for ten epochs."
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/zlab/pose.pytorch", True)]
    ends = HEAD + "Our code is available at https://github.com/zlab/cutnet.\nthe rest follows."
    assert _code(tmp_path, [(ends, 468)]) == [("https://github.com/zlab/cutnet", True)]


def test_an_acronym_inside_a_long_title_is_not_the_papers_method() -> None:
    """ "What BERT Learns About Syntax Trees" studies BERT: "BERT is available at <url>" is not its code;
    a short title ("Fast CutNet") or a `Name:` title names the paper's own method."""
    sentence = "We probe the model. BERT is available at https://github.com/google/bert for all."
    (studied,) = find_code_links([sentence], front_page=False, title="What BERT Learns About Syntax Trees")
    assert studied.role == "mention"
    own = "We probe the model. Fast CutNet is available at https://github.com/zlab/cutnet for all."
    (named,) = find_code_links([own], front_page=False, title="Fast CutNet")
    assert (named.role, named.official) == ("own", False)


def test_an_official_lab_page_stays_first_before_an_unclaimed_repository(tmp_path: Path) -> None:
    """The title page gives the paper's code on a lab page; a repository the body gives without saying
    whose it is does not push the lab page down nor take its official mark."""
    text = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose CutNet. Code and models: http://lab.example.edu/~me/cutnet"
        "\n\n1 Introduction\nWe study cuts. The code is available at https://github.com/x/baseline."
    )
    code = _code(tmp_path, [(text, 468)])
    assert code[0] == ("http://lab.example.edu/~me/cutnet", True)
    assert [url for url, official in code if official] == ["http://lab.example.edu/~me/cutnet"]


def test_a_lab_page_ending_in_a_slash_keeps_the_sentences_next_word_out(tmp_path: Path) -> None:
    """Bug (issue 23, a tune paper): "See http://lab.example.edu/projects/cutnet/ for our code" gave
    the address `.../cutnet/for`: a URL ending in a slash took the sentence's next word as its rest."""
    text = (
        HEAD + "We train it end to end. See http://mi.example.ac.uk/projects/cutnet/ for our CutNet code and "
        "web demo. It converges."
    )
    assert _code(tmp_path, [(text, 468)]) == [("http://mi.example.ac.uk/projects/cutnet/", True)]


def test_a_numbered_footnote_on_another_works_open_implementation_is_not_the_papers_code(
    tmp_path: Path,
) -> None:
    """Bug (issue 23, a tune paper): "a structure similar to the open FaceNet2 implementation" with the
    footnote "2. https://github.com/..." was offered as the paper's code: the footnote's "2." was not
    read as a mark, and the open implementation of a named work is that work's code."""
    text = (
        HEAD + "Its encoder has a structure similar to the open FaceNet2 implementation. Each layer ends"
        " in a ReLU.\n2. https://github.com/someone/facenet"
    )
    assert _code(tmp_path, [(text, 468)]) == []


def test_a_table_number_before_the_papers_url_is_not_a_footnote_mark(tmp_path: Path) -> None:
    """ "listed in Table 2. https://..." is not a footnote numbered 2 (that would take "the L2 loss of
    Smith et al. [3]" as the link's sentence): only a "2." that opens its line is one."""
    text = (
        HEAD + "We train with the L2 loss of Smith et al. [3] on ImageNet. The best settings are listed in "
        "Table 2. https://github.com/me/cutnet holds our code and models."
    )
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/me/cutnet", True)]


@pytest.mark.parametrize(
    "shown, url",
    [
        ("https://github.com/me/\nin-context-net and", "https://github.com/me/in-context-net"),
        ("https://lab.example.org/cutnet/\nThe network", "https://lab.example.org/cutnet/"),
        # broken after the host: the owner and the name follow on the next line (issue 23)
        ("https://github.com/\nzlab/cut_lines_design.", "https://github.com/zlab/cut_lines_design"),
    ],
)
def test_a_url_broken_at_a_slash_is_rejoined_unless_the_sentence_goes_on(
    tmp_path: Path, shown: str, url: str
) -> None:
    """A path segment that starts like an English word ("in-context-net") still continues the URL; a
    capitalised sentence word ("The network") never does."""
    text = HEAD + f"Our code and models are available at {shown} runs on one GPU."
    assert _code(tmp_path, [(text, 200)]) == [(url, True)]


def test_the_official_implementation_of_the_papers_own_method_or_a_framework_is_not_anothers() -> None:
    from alphatree_ingest.pdf.references import _named_others_code

    assert _named_others_code("a structure similar to the open FaceNet2 implementation", ("CCL",))
    assert not _named_others_code("trained with the official YOLOv3 implementation", ("YOLOv3",))
    assert not _named_others_code("the official PyTorch implementation of CutNet", ("CutNet",))


def test_a_dotted_footnote_that_opens_with_words_is_read_as_its_mark(tmp_path: Path) -> None:
    """ "2. Code: <url>" is footnote 2 as "2Code: <url>" is: its mark sits on another work's name."""
    text = (
        HEAD + "Its encoder has a structure similar to the open FaceNet2 implementation. Each layer ends"
        " in a ReLU.\n2. Code: https://github.com/someone/facenet"
    )
    assert _code(tmp_path, [(text, 468)]) == []


def test_a_footnote_mark_glued_to_our_still_reads_as_the_papers_voice(tmp_path: Path) -> None:
    """Bug (issue 23): "8Our models and code are publicly available at <a framework's model zoo>" (a
    footnote's mark glued to "Our") was not read as first person, so the framework rule made the
    paper's own release a dependency."""
    text = (
        HEAD + "We train in Caffe.\n8Our models and code are publicly available at "
        "https://github.com/BVLC/caffe/wiki/Model-Zoo#cutnet."
    )
    assert _code(tmp_path, [(text, 468)])[0] == ("https://github.com/BVLC/caffe", True)


@pytest.mark.parametrize(
    "phrase",
    [
        "The source code of the segmentation algorithms is available at",  # what it is the code of
        "The code and pre-trained mod- els are available at",  # a word hyphenated at a line end
        "All code and hyperparameters may be found at:",
        "Code of these results are in",  # a project folder inside a framework's repository
        "The code of the entire framework that accepts a graph as the input and yields the output RNN "
        "mixture is available at the",
    ],
)
def test_code_named_with_what_it_holds_is_the_papers(tmp_path: Path, phrase: str) -> None:
    """Bug (issue 23): the paper's code given as "the source code of the <its algorithms>", with a
    hyphenated word, or with what else comes with it, was read as code of others or a mere mention."""
    text = (
        HEAD
        + f"Plots like those of https://github.com/x/plots are shown.\n3{phrase} https://github.com/zlab/cutnet."
    )
    assert _code(tmp_path, [(text, 468)])[0][0] == "https://github.com/zlab/cutnet"


def test_a_tool_the_paper_releases_by_name_with_its_address_in_a_footnote_is_its_code(
    tmp_path: Path,
) -> None:
    """Bug (issue 23): "we release a feature extractor named CutFeat1" with the footnote
    "1http://lab.example.edu/software:cutfeat" (a lab's software page) was not found at all."""
    text = (
        HEAD + 'Along with this paper, we release a feature extractor named "CutFeat" 1 for vision research.'
        "\n1http://lab.example.edu/doku.php?id=software:cutfeat:start"
    )
    assert _code(tmp_path, [(text, 468)]) == [
        ("http://lab.example.edu/doku.php?id=software:cutfeat:start", True)
    ]


def test_a_repository_named_in_passing_deep_in_the_paper_is_not_offered_as_its_code(tmp_path: Path) -> None:
    """Bug (issue 23): a bare footnote link on a later page to a repository that has nothing of the
    paper's name (a tool used for a demo) was offered as the paper's code; one named like the paper
    still is (papers often give their code only as a bare footnote)."""
    later = "We also generate videos with a pose-guided animator.\n1https://github.com/bigco/animate-anyone"
    assert _code(tmp_path, [(HEAD + "Body.", 468), (later, 468)]) == []
    own = "We study the gap during training.\n3https://github.com/zlab/cut-lines"
    assert _code(tmp_path, [(HEAD + "Body.", 468), (own, 468)]) == [
        ("https://github.com/zlab/cut-lines", False)
    ]


def test_a_footnotes_sentence_ends_at_its_mark_after_the_full_stop(tmp_path: Path) -> None:
    """Bug: "... released in the T2T library.1 Because our implemen- tation is almost identical ..."
    read the next sentence (the paper's "our implementation") into footnote 1's, and gave the library
    as the paper's official code once the hyphenated word was read whole."""
    text = (
        HEAD + "The encoder follows Vaswani et al. (2017) and was released in the t2t library.1 Because "
        "our implemen- tation is almost identical, we omit it.\n1https://github.com/bigco/t2t"
    )
    assert _code(tmp_path, [(text, 468)]) == []


def test_a_first_page_footnote_on_a_sentences_full_stop_gives_the_papers_code(tmp_path: Path) -> None:
    """The mark after a full stop ("... neural networks.1") ends its sentence; the footnote "1The
    source code and models are available at <url>" still reads as the paper's own, official code."""
    text = (
        HEAD + "We introduce an architecture based entirely on convolutions.1 It is fast.\n1The source "
        "code and models are available at https://github.com/facebookresearch/fairseq."
    )
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/facebookresearch/fairseq", True)]


@pytest.mark.parametrize(
    "printed, url",
    [
        ("github.com/zlab/cutnet", "https://github.com/zlab/cutnet"),
        ("code.google.com/p/cutnet", "https://code.google.com/p/cutnet"),
    ],
)
def test_a_code_address_printed_without_its_scheme_is_found(tmp_path: Path, printed: str, url: str) -> None:
    """Bug: "Our code is available at github.com/zlab/cutnet" (no `https://`, as many papers print it)
    was not found at all."""
    text = HEAD + f"Our code is available at {printed}. It runs on one GPU."
    assert _code(tmp_path, [(text, 468)]) == [(url, True)]


def test_a_first_page_footnote_beside_the_venue_line_gives_the_papers_code(tmp_path: Path) -> None:
    """Bug (issue 23): "1Code and pretrained checkpoints are available at <url>" above "34th Conference
    on Neural Information Processing Systems (NeurIPS 2020)" was read as another work's code: the
    venue in parentheses looked like an author-year citation, and "pretrained checkpoints" was not
    read as what the code comes with."""
    text = (
        HEAD + "We distill the model.1\nCorrespondence to: a@b.c\n1Code and pretrained checkpoints are "
        "available at https://github.com/zlab/cutnet. 34th Conference on Neural Information Processing "
        "Systems (NeurIPS 2020), Vancouver, Canada."
    )
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/zlab/cutnet", True)]


def test_a_footnote_of_several_lines_on_a_compared_baseline_is_not_the_papers_code(tmp_path: Path) -> None:
    """Bug (issue 23): footnote 3 on a baseline of the comparison ("... [SL06], vanilla policy gradient
    with adaptive stepsize3") runs over two lines and ends "An implementation is available at <url>":
    the URL's line does not open on the mark, so the footnote was read as the paper's own words."""
    text = (
        HEAD + "We compare against trust region policy optimization [Sch+15b], the cross-entropy method "
        "[SL06], and vanilla policy gradient with adaptive stepsize3.\n3After each batch of data, the "
        "stepsize is adjusted\nbased on the KL divergence. An implementation is available at "
        "https://github.com/course/homework/tree/master/hw4."
    )
    assert _code(tmp_path, [(text, 468)]) == []


def test_our_code_that_can_be_found_at_an_address_is_ours_whatever_the_footnote_follows(
    tmp_path: Path,
) -> None:
    """Bug (issue 23): "Following best practice, details are in our code repository10." with the
    footnote "10... The code can be found at <url>" was a dependency: "Following" reads like code the
    paper follows, and only "available" or "released" counted as giving the code out."""
    text = (
        HEAD + "Following best practice, the details can be found in our code repository10.\n10We also "
        "make a public copy.\nIt almost compiles. The code can be found at https://github.com/zlab/cutnet."
    )
    assert _code(tmp_path, [(text, 468)])[0][0] == "https://github.com/zlab/cutnet"


def test_code_given_in_a_folder_of_a_frameworks_repository_is_the_papers(tmp_path: Path) -> None:
    """Bug (issue 23): "Code of these results are in <Detectron>/blob/master/projects/GN" (the
    paper's project folder inside a framework's repository, on a later page) was a dependency. One
    link per repository: the paper's folder makes the framework's repository its code, unofficial."""
    text = (
        "The baselines use https://github.com/facebookresearch/detectron as their codebase [13]. Code of"
        " these results are in https://github.com/facebookresearch/Detectron/blob/master/projects/GN."
    )
    code = _code(tmp_path, [(HEAD + "Body.", 468), (text, 468)])
    assert code == [("https://github.com/facebookresearch/detectron", False)]


def test_a_repository_the_paper_says_it_uses_stays_a_dependency_when_named_bare_again(tmp_path: Path) -> None:
    """Bug (issue 23): "we adopt the model Stable Diffusion1" with the footnote "1<url>", and the same
    URL as a bare footnote two pages on, was offered as code: the bare mention won the merge."""
    used = "In our implementation, we adopt the public model Diffuser1 as it is.\n1https://github.com/bigco/cut-diffuser"
    again = "More samples are in the appendix.\n2https://github.com/bigco/cut-diffuser"
    pages = [(HEAD + "Body.", 468), (used, 468), (again, 468)]
    assert _code(tmp_path, pages) == []


def test_a_project_page_is_not_code_because_a_caption_or_the_abstract_beside_it_speaks_of_models(
    tmp_path: Path,
) -> None:
    """Bug (issue 23): "Project page: <url>" with the caption "Figure 1: ... a pre-trained model" run on
    after it, or as a footnote on the abstract's "... than other models.1", was offered as official
    code: "model" was read in the caption or in the sentence the mark sits on."""
    caption = (
        HEAD + "Project page: https://me.github.io/cutnet/\nFigure 1: CutNet is built on a pre-trained model."
    )
    assert _code(tmp_path, [(caption, 468)]) == []
    footnote = HEAD + "It beats the other models.1\n1Project page: https://me.github.io/cutnet"
    assert _code(tmp_path, [(footnote, 468)]) == []


@pytest.mark.parametrize(
    "body",
    [
        # the text order put the first-page footnote in the middle of a line
        "To emphasize the 1Code is available at https://github.com/zlab/cn.\nMore text.",
        # the code comes with something else, promised
        "The code and generated avatars will be publicly available at https://github.com/zlab/cn.",
    ],
)
def test_more_ways_the_papers_own_code_is_given(tmp_path: Path, body: str) -> None:
    """Bugs (issue 23), each found in a tune paper: the paper's code was missed or not first."""
    assert _code(tmp_path, [(HEAD + body, 468)])[0][0] == "https://github.com/zlab/cn"


def test_it_is_available_at_after_our_implementation_is_the_papers_official_code(tmp_path: Path) -> None:
    """The pronoun's sentence is read with the one before it (a review found the rule never fired)."""
    body = "We provide an open-source implementation of our method. It is available at https://github.com/zlab/cn."
    assert _code(tmp_path, [(HEAD + body, 468)]) == [("https://github.com/zlab/cn", True)]


@pytest.mark.parametrize(
    "body",
    [
        "Our implementation is based on https://github.com/open-mmlab/mmdetection which is in PyTorch.",
        "We provide baselines trained with the timm library available at https://github.com/rw/timm.",
        "Code for the detection baselines is available at https://github.com/other/baselines.",
        "For our implementation we use the detector of Ren et al. It is available at https://github.com/rbg/frcnn.",
    ],
)
def test_code_the_paper_builds_on_or_compares_with_is_never_its_official_code(
    tmp_path: Path, body: str
) -> None:
    """Review of the day's rules: what the paper is based on, a library it trains with, the baselines'
    code, and a work "of Ren et al." it uses stay out of the paper's official code."""
    assert all(not official for _, official in _code(tmp_path, [(HEAD + body, 468)]))


def test_a_sentence_after_et_al_that_gives_the_code_is_its_own(tmp_path: Path) -> None:
    """ "... the detector of Smith et al. Code is available at <url>": "et al." ends that sentence when a
    capitalised word follows (not "et al. (2016)")."""
    text = (
        "Cut Lines: A Paper\n\nAbstract\nWe improve the detector of Smith et al. Code is available at "
        "https://github.com/zlab/cn.\n\n1 Introduction\nBody."
    )
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/zlab/cn", True)]


def test_a_footnote_on_the_abstracts_last_sentence_that_gives_code_is_the_papers(tmp_path: Path) -> None:
    """Bug (issue 23): the mark after the abstract's last full stop ("... is used.1") made "used" read
    as code the paper uses, so "1Code is available at <url>" was a dependency."""
    text = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose CutNet. A full labelled set is used.1\n\n1 Introduction\n"
        "We study cuts.\n1Code is available at https://github.com/zlab/cn."
    )
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/zlab/cn", True)]


def test_a_repository_named_by_the_titles_acronym_is_not_named_in_passing(tmp_path: Path) -> None:
    """A bare link late in the paper to `deit` for "Data-efficient Image Transformers": the name is the
    title's acronym, so the link stays a mention of the paper's own code, not an aside."""
    from alphatree_ingest.pdf.references import find_code_links

    pages = ["Training Data-efficient Image Transformers\nBody.", "More.\n2https://github.com/lab/deit"]
    (link,) = find_code_links(pages, title="Training data-efficient image transformers")
    assert link.role == "mention"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # further into the sentence, after the framework it is written in (a citation of the framework)
        (
            "The detector was implemented in C++ within the Caffe toolbox [30], and source code is "
            "available at https://github.com/zlab/cutnet. All times are on one core.",
            ("https://github.com/zlab/cutnet", "own"),
        ),
        # "the code we used" is the paper's when the sentence gives it out
        (
            "The code we used to train and evaluate our models is available at "
            "https://github.com/zlab/cutlib. We thank our colleagues.",
            ("https://github.com/zlab/cutlib", "own"),
        ),
        # a framework cited by name before "implementation:"
        (
            "Mindspore implementation is coming. Pytorch [43] implementation: "
            "https://github.com/zlab/cutnet.pytorch. We train for ten epochs.",
            ("https://github.com/zlab/cutnet.pytorch", "own"),
        ),
        # footnote marks glued to words: the mark's sentence says the code is available
        (
            "Videos of all experiments2 and example source code3 are available online.\n"
            "2https://sites.google.com/view/cutlines/home\n3https://github.com/zlab/cutlines",
            ("https://github.com/zlab/cutlines", "own"),
        ),
        # "our patches ... are available online" with the footnote
        (
            "Our implementation is based on the RetinaNet implementation from Tensorflow1. Our patches for "
            "this implementation that we used to perform the experiments are available online2.\n"
            "1 https://github.com/tensorflow/models\n2 https://github.com/zlab/cutnms/tree/eccv2020",
            ("https://github.com/zlab/cutnms", "own"),
        ),
        # the mark on "our method", in a sentence that also cites the works compared with
        (
            "We use the Torch7 framework [2] to implement our method2, and use existing open source "
            "implementations of prior works [16, 21, 30] for comparison.\n"
            "2Code available at https://github.com/zlab/style-cut\nContent Image\n"
            "Gatys et al. with random initializations",
            ("https://github.com/zlab/style-cut", "own"),
        ),
        (
            "We based our experiments on the PyTorch implementation of BERT 3 and open-source our code4.\n"
            "3https://github.com/huggingface/pytorch-pretrained-BERT\n4https://github.com/zlab/cut-n-pals",
            ("https://github.com/zlab/cut-n-pals", "own"),
        ),
    ],
)
def test_code_given_further_into_the_sentence_or_by_a_glued_mark_is_the_papers(
    tmp_path: Path, text: str, want: tuple[str, str]
) -> None:
    """Bugs (issue 23, tune batch k and j): each of these was read as a dependency, another work's code
    or a bare mention, and the paper got no code link."""
    roles = _roles(tmp_path, HEAD + text)
    assert [(url, role) for url, role, _ in roles if role == "own"] == [want], roles


def test_a_footnote_with_a_space_after_its_mark_is_its_own_sentence(tmp_path: Path) -> None:
    """Bug (issue 23): "3 Code is available in <url>" at the foot of page 1 ran on into the body's
    sentence above it ("Bai et al. [1] introduced ..."), whose citation made it another work's code."""
    text = (
        HEAD + "For example, Bai et al. [1] introduced a self-training method for cardiac MR\n"
        "3 Code is available in https://github.com/zlab/cutnet"
    )
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/zlab/cutnet", True)]


@pytest.mark.parametrize(
    ("shown", "url"),
    [
        ("https: // github. com/ zlab/ cutnet .", "https://github.com/zlab/cutnet"),
        ("https://zlab. github.io/CutNet/ 1.", "https://zlab.github.io/CutNet/"),
        ("http://www.cs.example.edu/˜me/cutnet.", "http://www.cs.example.edu/~me/cutnet"),
        ("http://www.cs.example.edu/ ˜me/cutnet.html.", "http://www.cs.example.edu/~me/cutnet.html"),
    ],
)
def test_an_address_printed_with_spaces_or_an_accent_tilde_is_read_whole(shown: str, url: str) -> None:
    """Bugs (issue 23): a title page's "https: // github. com/ lab/ net" gave `https://github` first; a
    home page's `˜` (a spacing accent, often after a break) cut the address at the host. (The page's
    text as PyMuPDF gives it: the test fonts have no `˜` glyph to draw.)"""
    front = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose CutNet. Source code is available at "
        f"{shown}\n\n1 Introduction\nBody."
    )
    links = find_code_links([front], title="Cut Lines: A Paper")
    assert [(link.url, link.official) for link in links][:1] == [(url, True)]


def test_an_organisation_the_paper_gives_as_its_code_is_offered(tmp_path: Path) -> None:
    """Bug (issue 23): "Code is available at https://github.com/HRNet" (an organisation holding the
    paper's repositories, no repository named) was dropped as a bare owner; an owner cut inside its
    name by a line break still joins the repository that continues it."""
    text = HEAD + "The code and models are publicly available at https://github.com/CutLines."
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/CutLines", False)]
    cut = HEAD + "Code is at https://github.com/YihengZha\nng-CV/CutNet for all to use."
    pdf = _linked(
        tmp_path, cut, [("https://github.com/YihengZha", "https://github.com/YihengZhang-CV/CutNet")]
    )
    assert _drafted(pdf) == [("https://github.com/YihengZhang-CV/CutNet", False)]


def test_a_framework_the_paper_also_puts_its_models_in_is_not_more_official_code(tmp_path: Path) -> None:
    """Bug (issue 23, DeBERTa): "Our code and models are also available at HuggingFace Transformers"
    made the framework official beside the paper's own repository, and so the hub's listing of its
    models. Now: the paper's repository, official; the framework's and the hub's, listed after it, not
    official."""
    front = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose CutNet. The models and the source code were released "
        "at: https://github.com/zlab/CutNet.\n\n1 Introduction\nWe cut lines.\n1Our code and models are "
        "also available at HuggingFace Transformers: https://github.com/huggingface/transformers, "
        "https://huggingface.co/models?filter=cutnet"
    )
    found = _code(tmp_path, [(front, 468)])
    assert found[:2] == [
        ("https://github.com/zlab/CutNet", True),
        ("https://github.com/huggingface/transformers", False),
    ]
    assert [official for url, official in found[2:] if "huggingface.co/models" in url] == [False]


def test_the_method_named_in_a_title_set_in_capitals_gives_its_code() -> None:
    """Bug (issue 23, TabNet): the title read from the PDF is in capitals ("CUTNET: LEARNING TO CUT"),
    so "CutNet source code can be found at <url>" on page 6 was not the method's own sentence and the
    link, named like nothing in the title, was set aside."""
    pages = [
        "CUTNET: LEARNING TO CUT\n\nAbstract\nWe cut.\n\n1 Introduction\nWe study cuts.",
        "We train with Adam.\nCutNet source code can be found at:\n"
        "https://github.com/google-research/google-research/tree/master/cutnet.",
    ]
    links = find_code_links(pages, title="CUTNET: LEARNING TO CUT")
    assert [(link.url, link.role) for link in links] == [
        ("https://github.com/google-research/google-research", "own")
    ]


def test_a_footnote_mark_set_apart_from_its_word_is_found_past_a_formulas_digits(tmp_path: Path) -> None:
    """Bug (issue 23, CRF-RNN): the mark of "will be made publicly available 1." stands apart from its
    word, and "G1 and G2" below it took the footnote, so the paper's code read as a bare mention."""
    body = (
        "4 Training\nThe full source code and the trained models of our approach will be made publicly "
        "available 1. The gating functions G1 and G2 are fixed as described in the text.\n"
        "1https://github.com/zlab/crfascut/."
    )
    roles = _roles(tmp_path, HEAD + body)
    assert [(url, role) for url, role, _ in roles] == [("https://github.com/zlab/crfascut", "own")]


def test_a_method_open_sourced_at_its_site_gives_its_code(tmp_path: Path) -> None:
    """Bug (issue 23, MediaPipe Hands): "<Method> is open sourced at https://<its site>" under the
    abstract was not read as code, the site not being a code host."""
    front = (
        "CutNet: Cutting Lines on Device\n\nAbstract\nWe propose CutNet. CutNet is open\nsourced at "
        "https://cutnet.dev.\n\n1 Introduction\nBody."
    )
    paper = _paper().model_copy(update={"title": "CutNet: Cutting Lines on Device"})
    assert _code(tmp_path, [(front, 468)], paper) == [("https://cutnet.dev", True)]


P1 = "Title\nAbstract\nWe do things.\n1 Introduction\nText."


@pytest.mark.parametrize(
    ("sentence", "extra"),
    [
        ("The code of the baseline is available at https://github.com/other/baseline.", {}),
        ("Code for DeepLab is available at https://github.com/other/deeplab.", {}),
        ("The PyTorch code released by the authors is available at https://github.com/other/x.", {}),
        ("We start from ResNet, whose code is publicly available at https://github.com/other/x.", {}),
        ("1 The code of the baseline is available at https://github.com/other/x.", {"title_note": True}),
        ("Our image patches are cropped as in prior work (https://github.com/other/crop).", {}),
        ("Pretrained models and code of MoCo are available at https://github.com/facebookresearch/moco.", {}),
    ],
)
def test_code_said_available_of_someone_else_stays_theirs(sentence: str, extra: dict[str, bool]) -> None:
    """Review of issue 23's readings: "code ... is available" further into a sentence and "our
    patches" are the paper's only when nothing says whose else the code is."""
    role, official = classify_link(sentence, front=False, in_references=False, **extra)
    assert role != "own" and not official, (role, official)


@pytest.mark.parametrize(
    ("title", "pages", "theirs"),
    [
        (
            "",
            [
                P1,
                "Our detector follows the design of DETR [5].3\n3Official implementation: "
                "https://github.com/facebookresearch/detr",
            ],
            "facebookresearch/detr",
        ),
        (
            "",
            [
                P1,
                "We use the features of Tran et al.3 for all clips.\n3Code is available at "
                "https://github.com/tran/c3d",
            ],
            "tran/c3d",
        ),
        (
            "",
            [
                P1,
                "We run our model 3 times with the public detector of Chen [12]2 and report the mean.\n"
                "2 Code is available at https://github.com/chen/detector",
            ],
            "chen/detector",
        ),
        (
            "",
            [
                P1,
                "Our implementation is summarized in Algorithm 1. We train the classifier with the CIFAR "
                "code of Liu1 for 200 epochs.\n1https://github.com/kuangliu/pytorch-cifar",
            ],
            "kuangliu/pytorch-cifar",
        ),
        (
            "Analyzing and Improving the Image Quality of StyleGAN",
            [
                "Analyzing and Improving the Image Quality of StyleGAN\nAbstract\nWe fix things. Code is "
                "available at https://github.com/NVlabs/stylegan2\n1. Introduction\nText.",
                "We start from StyleGAN [24] (https://github.com/NVlabs/stylegan) and improve it.",
            ],
            "NVlabs/stylegan",
        ),
        (
            "UNet++: A Nested U-Net Architecture",
            [
                "UNet++: A Nested U-Net Architecture\nAbstract\nWe nest U-Nets.\n1 Introduction\nText.",
                "We compare with U-Net [24], using the implementation at "
                "https://github.com/zhixuhao/unet for all runs.",
            ],
            "zhixuhao/unet",
        ),
        (
            "Mask R-CNN",
            [
                "Mask R-CNN\nAbstract\nWe do things.\n1 Introduction\nText.",
                "A Keras port by others [40] is at https://github.com/matterport/Mask_RCNN.",
            ],
            "matterport/Mask_RCNN",
        ),
        (
            "",
            [
                "Some Title\nAbstract\nCode will be released at https://github.com/google.\n1 Introduction\n"
                "We use BERT [4] from https://github.com/google-research/bert for features."
            ],
            "google-research/bert",
        ),
        (
            "",
            [
                "Some Title\nJohn Smith\nhttps://github.com/jsmith\nAbstract\nWe do things.\n1 Introduction\n"
                "Text."
            ],
            "jsmith",
        ),
    ],
)
def test_other_peoples_code_near_the_new_readings_stays_theirs(
    title: str, pages: list[str], theirs: str
) -> None:
    """Review of issue 23's readings: a footnote on "DETR [5].3" or "Tran et al.3", a count after "our
    model", "Algorithm 1." before another mark, a predecessor's repository (`stylegan` beside
    `stylegan2`, U-Net under a UNet++ title), a port by others, another owner that shares a prefix,
    an author's profile under the title: none of them is the paper's code."""
    links = find_code_links(pages, title=title)
    mine = [link for link in links if link.url.endswith(theirs)]
    assert all(link.role != "own" and not link.official for link in mine), [(x.url, x.role) for x in links]


def test_the_code_of_the_method_named_in_the_title_is_the_papers() -> None:
    """Review fix kept: "code of <Name>" is another work's code, unless the name is the paper's own
    method ("Codes and models of CutNet are available at", nnFormer)."""
    sentence = "Codes and models of CutNet are available at https://git.io/JSf3i."
    assert classify_link(sentence, front=True, in_references=False, names=("CutNet",)) == ("own", True)
    assert classify_link(sentence, front=True, in_references=False, names=("Other",))[0] != "own"


def test_a_connective_before_the_code_sentences_subject_keeps_the_code_the_papers(tmp_path: Path) -> None:
    """Bug (issue 23): "To this end, code and trained models can be found at <lab page>." in a
    conclusion was no code link: the code had to open its sentence. A connective may come first; a
    cited work may not ("Following [12], code ... can be found at" stays someone else's)."""
    ours = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose CutNet.\n\n1 Introduction\nBody.\n\n5 Conclusion\n"
        "Our model is a new baseline. To this end, code and trained models can be found at "
        "http://cs.example.edu/~me/cutnet/."
    )
    assert _code(tmp_path, [(ours, 468)]) == [("http://cs.example.edu/~me/cutnet/", False)]
    theirs = ours.replace("To this end,", "Following [12],")
    assert _code(tmp_path, [(theirs, 468)]) == []


def test_the_code_of_the_method_the_paper_names_itself_is_its_code(tmp_path: Path) -> None:
    """Bug (issue 23, official pages outside GitHub): "The source code of MDNet is available at <lab
    page>" was dropped when the title never says MDNet; the paper names its method in its own words
    ("referred to as Multi-Domain Network (MDNet)"), and that page is its code. A name the paper gives
    another work it uses ("a recognizer called CRNN (Shi et al. 2015)") is not the paper's."""
    intro = (
        "Cut Lines: A Paper\n\nAbstract\nWe study cuts.\n\n1 Introduction\nWe propose a novel CNN "
        "architecture, referred to as Multi-Domain Network (MDNet), to learn shared representations.\n\n"
    )
    later = (
        "5 Experiments\nIt runs at 1 fps on a GPU. The source code of MDNet is available at "
        "http://cvlab.example.ac.kr/research/mdnet/.\n"
    )
    page = "http://cvlab.example.ac.kr/research/mdnet/"
    assert _code(tmp_path, [(intro, 468), (later, 468)]) == [(page, False)]
    cited = intro.replace(
        "referred to as Multi-Domain Network (MDNet)", "with a recognizer called MDNet (Shi et al. 2015)"
    )
    assert _code(tmp_path, [(cited, 468), (later, 468)]) == []


def test_a_footnote_on_the_methods_name_gives_its_code(tmp_path: Path) -> None:
    """A footnote's mark on the method's name ("an autoencoder (CAAE)1") with "GitHub: <page>" gives
    the method's code, though no sentence says "code"; the same mark on another work's name does not."""
    text = (
        HEAD + "We propose a conditional adversarial autoencoder (CAAE)1 network to learn the manifold.\n\n"
        "1GitHub: https://zlab.github.io/Face-Aging-CAAE\n"
    )
    assert _code(tmp_path, [(text, 468)]) == [("https://zlab.github.io/Face-Aging-CAAE", False)]
    other = text.replace("(CAAE)1 network", "(CAAE) network with the GAN1 of [4]")
    assert _code(tmp_path, [(other, 468)]) == []


def test_an_appendix_sentence_after_a_tables_notes_is_read_on_its_own(tmp_path: Path) -> None:
    """Bug: "Source code for the experiments is available at <url>" after a table's notes ("b Salimans
    et al. [25]") and a heading was read as one sentence with them, and given as another work's code.
    A URL at the end of its block does not take the next block's heading into its address either."""
    text = (
        HEAD + "More.\n\nb Salimans et al. [25]\n\nc Laine and Aila [13]\n\nB\nExperimental setup\n\n"
        "Source code for the experiments is available at https://git.example.com/lab/piccolo/\n\n"
        "Acknowledgments\n\nWe thank the reviewers.\n"
    )
    assert _code(tmp_path, [(text, 468)]) == [("https://git.example.com/lab/piccolo/", False)]


def test_a_version_number_is_no_footnote_mark(tmp_path: Path) -> None:
    """Bug (issue 23, model gardens): "Source code and pre-trained models are available at
    PaddleDetection1." hung footnote 1 (the garden's repository) on a later "Since YOLOv1[21], ...",
    and the paper's own code was read as another work's. A version (`YOLOv1`) is no footnote mark."""
    text = (
        "Cut Lines: A Paper\n\nAbstract\nWe propose CutNet. Source code and pre-trained models are "
        "available at CutGarden1.\n\n1 Introduction\nSince YOLOv1[21], detectors changed a lot [3].\n\n"
        "1https://github.com/bigco/CutGarden\n"
    )
    assert _code(tmp_path, [(text, 468)]) == [("https://github.com/bigco/CutGarden", True)]


def test_the_abstracts_address_with_a_lost_underscore_takes_the_pdfs(tmp_path: Path) -> None:
    """Bug: the abstract's "github.com/lab/pointpillars backbone" (the underscore set as a space) gave
    `lab/pointpillars`, marked official, before the PDF's own link `lab/pointpillars_backbone`."""
    abstract = "We study cuts. The code is available at https://github.com/zlab/cut backbone."
    pdf = _linked(
        tmp_path,
        HEAD + abstract,
        [("https://github.com/zlab/cut backbone", "https://github.com/zlab/cut_backbone")],
    )
    assert _drafted(pdf, _paper(abstract)) == [("https://github.com/zlab/cut_backbone", True)]
