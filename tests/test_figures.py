"""Figure regions and kinds on pages the tests draw: the layouts that real papers break extractors with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alphatree_ingest.pdf.extract import extract
from tests.support import draw_diagram, prose, text_box


def _page() -> tuple[Any, Any]:
    import pymupdf

    doc = pymupdf.open()
    return doc, doc.new_page(width=612, height=792)


def _caption(page: Any, rect: tuple[float, float, float, float], text: str, *, bold: str = "") -> None:
    import pymupdf

    if bold:  # a bold label, as Springer sets it: **Fig. 3** Overview of ...
        page.insert_text((rect[0], rect[1] + 8), bold, fontsize=8, fontname="hebo")
        rect = (rect[0] + 30, rect[1], rect[2], rect[3])
        text = text
    text_box(page, pymupdf.Rect(*rect), text, fontsize=8)


def _extract(tmp_path: Path, doc: Any) -> dict[str, Any]:
    path = tmp_path / "page.pdf"
    doc.save(path)
    return {f.number: f for f in extract(path).figures}


def test_a_figure_touching_its_caption_is_kept(tmp_path: Path) -> None:
    doc, page = _page()
    prose(page, (72, 60, 540, 150), size=9)
    draw_diagram(page, (100, 170, 500, 262))
    _caption(page, (72, 258, 540, 280), "Figure 1: Architecture of the network.")  # overlaps by 4 pt
    prose(page, (72, 290, 540, 380), size=9)
    figs = _extract(tmp_path, doc)
    assert figs["1"].bbox == pytest.approx((104, 170, 496, 262), abs=3)


def test_side_by_side_figures_get_a_box_each(tmp_path: Path) -> None:
    doc, page = _page()
    prose(page, (72, 60, 540, 150), size=9)
    draw_diagram(page, (80, 170, 290, 260), labels=2)
    draw_diagram(page, (320, 170, 530, 260), labels=2)
    _caption(page, (80, 268, 290, 290), "Figure 3: The encoder block.")
    _caption(page, (320, 268, 530, 290), "Figure 4: The decoder block.")
    prose(page, (72, 300, 540, 390), size=9)
    figs = _extract(tmp_path, doc)
    assert figs["3"].bbox == pytest.approx((84, 170, 286, 260), abs=3)
    assert figs["4"].bbox == pytest.approx((324, 170, 526, 260), abs=3)


def test_running_heads_and_page_numbers_stay_out_of_the_crop(tmp_path: Path) -> None:
    import pymupdf

    doc, page = _page()
    page.insert_text((150, 40), "A Running Head: The Title of This Paper", fontsize=8)
    page.draw_line((72, 46), (540, 46), width=0.5)
    draw_diagram(page, (100, 62, 500, 160))
    _caption(page, (72, 168, 540, 190), "Figure 2: Overview of the proposed framework.")
    prose(page, (72, 200, 540, 700), size=9)
    page.insert_text((300, 760), "7", fontsize=9)
    figs = _extract(tmp_path, doc)
    assert figs["2"].bbox == pytest.approx((104, 62, 496, 160), abs=3)
    assert pymupdf.Rect(figs["2"].bbox).y0 > 50


def test_nothing_above_a_caption_does_not_take_the_table_below(tmp_path: Path) -> None:
    doc, page = _page()
    prose(page, (72, 60, 540, 200), size=9)
    _caption(page, (72, 210, 540, 230), "Figure 6: Results on the test set (see the table below).")
    prose(page, (72, 240, 540, 330), size=9)
    _caption(page, (72, 340, 540, 355), "Table 3: Numbers.")
    draw_diagram(page, (100, 360, 500, 420), labels=4)
    figs = _extract(tmp_path, doc)
    assert "6" not in figs


def test_a_bold_label_without_punctuation_is_a_caption_and_body_text_is_not(tmp_path: Path) -> None:
    doc, page = _page()
    prose(page, (72, 60, 540, 150), size=9)
    draw_diagram(page, (100, 170, 500, 250))
    _caption(page, (72, 258, 540, 280), "Overview of our recognition models.", bold="Fig. 2")
    text_box(
        page, __import__("pymupdf").Rect(72, 300, 540, 340), "Figure 2 shows the model we use.", fontsize=9
    )
    figs = _extract(tmp_path, doc)
    assert list(figs) == ["2"] and figs["2"].caption.startswith("Fig. 2")


def _raster_diagram() -> Any:
    """A raster architecture diagram: white background, flat coloured boxes joined by dark arrows."""
    import pymupdf

    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 300, 100), False)
    pix.set_rect(pix.irect, (255, 255, 255))
    for i, colour in enumerate([(120, 170, 230), (240, 180, 90), (130, 200, 130)]):
        pix.set_rect(pymupdf.IRect(10 + i * 100, 25, 80 + i * 100, 75), colour)
        if i:
            pix.set_rect(pymupdf.IRect(i * 100 - 20, 48, 10 + i * 100, 52), (30, 30, 30))
    return pix


def _photo() -> Any:
    """A photograph-like raster: many colours, no white."""
    import random

    import pymupdf

    rng = random.Random(3)
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 120, 80), False)
    for y in range(0, 80, 4):
        for x in range(0, 120, 4):
            pix.set_rect(pymupdf.IRect(x, y, x + 4, y + 4), tuple(rng.randrange(20, 230) for _ in range(3)))
    return pix


def test_kinds_raster_architecture_plot_and_photos(tmp_path: Path) -> None:
    import pymupdf

    doc, page = _page()
    prose(page, (72, 40, 540, 95), size=6)
    page.insert_image(pymupdf.Rect(120, 100, 480, 220), pixmap=_raster_diagram())
    _caption(page, (72, 226, 540, 246), "Figure 1: Overview of the proposed pipeline.")
    prose(page, (72, 252, 540, 305), size=6)
    # a vector plot: axes, ticks and numeric labels
    page.draw_line((120, 420), (480, 420), width=0.8)
    page.draw_line((120, 320), (120, 420), width=0.8)
    page.draw_polyline([(130, 410), (200, 380), (300, 350), (470, 330)], width=1.2, color=(0, 0, 1))
    for i, tick in enumerate(["0", "20", "40", "60", "80", "100"]):
        page.insert_text((120 + i * 70, 432), tick, fontsize=7)
        page.insert_text((100, 420 - i * 20), f"{i * 0.2:.1f}", fontsize=7)
    _caption(page, (72, 440, 540, 460), "Figure 2: Top-1 accuracy vs. training epochs.")
    prose(page, (72, 466, 540, 522), size=6)
    page.insert_image(pymupdf.Rect(120, 530, 300, 650), pixmap=_photo())
    page.insert_image(pymupdf.Rect(310, 530, 490, 650), pixmap=_photo())
    _caption(page, (72, 656, 540, 676), "Figure 3: Samples generated by our model on CelebA.")
    prose(page, (72, 682, 540, 740), size=6)
    figs = _extract(tmp_path, doc)
    assert {n: f.kind for n, f in figs.items()} == {"1": "architecture", "2": "plot", "3": "images"}
    assert [n for n, f in figs.items() if f.is_diagram] == ["1"]


def test_a_composite_of_a_unit_diagram_and_curves_is_an_architecture_figure(tmp_path: Path) -> None:
    """`Left: (a) original unit; (b) proposed unit. Right: curves` (as in Identity Mappings): the
    curves' numbers must not hide the diagram a curator would pick."""
    doc, page = _page()
    prose(page, (72, 40, 540, 120), size=7)
    for x in (90, 170):  # two stacks of four labelled boxes: the units
        for row in range(4):
            y = 140 + row * 30
            page.draw_rect((x, y, x + 60, y + 20), color=(0, 0, 0), fill=(0.9, 0.95, 1.0), width=0.8)
            page.insert_text((x + 6, y + 14), ["weight", "BN", "ReLU", "addition"][row], fontsize=7)
            if row:
                page.draw_line((x + 30, y - 10), (x + 30, y), width=0.8)
    page.draw_line((300, 250), (520, 250), width=0.8)  # curves with numeric ticks on the right
    page.draw_line((300, 140), (300, 250), width=0.8)
    page.draw_polyline([(305, 240), (360, 200), (430, 170), (515, 160)], width=1.2, color=(0, 0, 1))
    page.draw_polyline([(305, 245), (360, 215), (430, 190), (515, 185)], width=1.2, color=(1, 0, 0))
    for i, tick in enumerate(["0", "1", "2", "3", "4", "5"]):
        page.insert_text((300 + i * 42, 262), tick, fontsize=7)
        page.insert_text((282, 250 - i * 20), str(i * 5), fontsize=7)
    caption = (
        "Figure 1: Left: (a) original Residual Unit; (b) proposed Residual Unit. Right: training curves "
        "on CIFAR-10 of 1001-layer ResNets."
    )
    _caption(page, (72, 272, 540, 292), caption)
    prose(page, (72, 300, 540, 380), size=7)
    assert _extract(tmp_path, doc)["1"].kind == "architecture"


def test_a_large_abstract_heading_keeps_the_abstract(tmp_path: Path) -> None:
    import pymupdf

    doc, page = _page()
    text_box(page, pymupdf.Rect(72, 60, 540, 100), "ZeroNet: Memory Optimizations", fontsize=18)
    text_box(page, pymupdf.Rect(72, 110, 540, 140), "Abstract", fontsize=16)
    body = "We develop a novel solution to optimize memory. It scales to a trillion parameters."
    text_box(page, pymupdf.Rect(72, 145, 540, 200), body, fontsize=9)
    text_box(page, pymupdf.Rect(72, 210, 540, 230), "1 Introduction", fontsize=11)
    path = tmp_path / "abstract.pdf"
    doc.save(path)
    assert extract(path).abstract == body


def test_a_hyphenated_reference_title_still_finds_its_parent(tmp_path: Path) -> None:
    import datetime as dt

    from alphatree_ingest.catalog import Catalog
    from alphatree_ingest.drafting.draft import suggest_parents
    from alphatree_ingest.models import Paper

    doc, page = _page()
    prose(page, (72, 60, 540, 250), size=9)
    cites = (
        "Our encoder extends ResNet [1]. Like ResNet-50 [1], it has residual blocks; ResNet [1] trains well."
    )
    text_box(page, __import__("pymupdf").Rect(72, 260, 540, 300), cites, fontsize=9)
    refs = (
        "References\n[1] K. He, X. Zhang, S. Ren, and J. Sun. Deep residual learning for image recog-\n"
        "nition. In CVPR, 2016.\n[2] A. Vaswani et al. Attention is all you need. In NeurIPS, 2017."
    )
    text_box(page, __import__("pymupdf").Rect(72, 320, 300, 600), refs, fontsize=8)
    path = tmp_path / "refs.pdf"
    doc.save(path)
    extraction = extract(path)
    paper = Paper(
        arxiv_id="2611.00001",
        title="ViT",
        authors=[],
        abstract="",
        published=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        pdf_url="x",
    )
    tree = Catalog(Path(__file__).resolve().parent.parent / "catalog").load().entries
    parents, evidence = suggest_parents(paper, extraction, tree)
    assert parents[0] == "resnet" and "Deep Residual Learning" in evidence["resnet"][0]


@pytest.mark.parametrize("side", [9000, 14400])
def test_a_giant_page_is_drawn_within_the_pixel_cap_and_never_fails_the_paper(
    tmp_path: Path, side: int
) -> None:
    """Bug: a 9000-pt page rendered at 2 GB and a 14400-pt page (the largest PDF allows) ended in an
    uncaught FzErrorLimit. The page here is an ordinary one scaled up, as a poster is."""
    import pymupdf

    from alphatree_ingest.pdf.figures import MAX_PIXELS

    small, page = _page()
    prose(page, (36, 36, 576, 200))
    draw_diagram(page, (36, 300, 576, 420), labels=4)
    _caption(page, (36, 430, 576, 470), "Figure 1: The whole architecture, on a giant page.")
    doc = pymupdf.open()
    giant = doc.new_page(width=side * 612 / 792, height=side)
    giant.show_pdf_page(giant.rect, small, 0)
    pdf = tmp_path / "giant.pdf"
    doc.save(pdf)
    result = extract(pdf, tmp_path / "figures")
    (figure,) = result.figures
    assert figure.number == "1" and figure.file
    png = pymupdf.Pixmap(str(tmp_path / "figures" / figure.file))
    assert png.width * png.height <= MAX_PIXELS
    assert png.width > 2000  # drawn at a lower resolution, not to nothing


def test_renders_share_a_pages_display_list_and_draw_what_get_pixmap_draws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Speed: each render of a page (each figure at 150 dpi, each raster's colours at 18 dpi) read the
    page's contents again; they now share one display list per page, and draw the same pixels as
    `page.get_pixmap` did. After the document, the list is let go."""
    import pymupdf

    from alphatree_ingest.pdf import figures

    doc, page = _page()
    prose(page, (36, 36, 576, 120))
    draw_diagram(page, (36, 150, 576, 300), labels=4)
    _caption(page, (36, 310, 576, 340), "Figure 1: The whole architecture.")
    draw_diagram(page, (36, 400, 576, 560), labels=3)
    _caption(page, (36, 570, 576, 600), "Figure 2: Its block.")
    pdf = tmp_path / "two.pdf"
    doc.save(pdf)
    box = (36.0, 150.0, 576.0, 300.0)
    for dpi, space in ((150, None), (48, pymupdf.csGRAY), (18, None)):
        ours = figures.render_clip(page, box, dpi, colorspace=space)
        theirs = page.get_pixmap(
            clip=pymupdf.Rect(box), dpi=dpi, annots=False, colorspace=space or pymupdf.csRGB
        )
        assert (ours.width, ours.height, ours.n, ours.samples) == (
            theirs.width,
            theirs.height,
            theirs.n,
            theirs.samples,
        )
    lists: list[int] = []
    real = pymupdf.Page.get_displaylist

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        lists.append(self.number)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pymupdf.Page, "get_displaylist", counted)
    result = extract(pdf, tmp_path / "figures")
    assert [f.number for f in result.figures] == ["1", "2"] and all(f.file for f in result.figures)
    assert lists == [0]  # one list for the page's two figures
    assert figures._DRAWN is None


def _unet_page(page: Any, caption: str) -> None:
    """A U-Net-like diagram: stacks of thin feature-map bars labelled with sizes and channel counts
    (572x572, 64, 128 ...) joined by arrows: more numbers than words, as in the real ones."""
    prose(page, (72, 40, 540, 100), size=7)
    sizes = ["572x572", "284x284", "140x140", "68x68", "32x32"]
    channels = ["64", "128", "256", "512", "1024"]
    for level in range(5):
        x = 90 + level * 45
        y = 130 + level * 40
        for bar in range(2):
            page.draw_rect((x + bar * 14, y, x + bar * 14 + 8, 330 - level * 20), color=(0, 0, 0), width=0.6)
            page.insert_text((x + bar * 14, y - 3), channels[level], fontsize=6)
        page.insert_text((x - 20, y + 30), sizes[level], fontsize=5)
        page.draw_line((x + 10, y + 10), (x + 14, y + 10), color=(0, 0, 1), width=0.8)
        mirror = 520 - level * 45
        page.draw_rect((mirror, y, mirror + 8, 330 - level * 20), color=(0, 0, 0), width=0.6)
        page.insert_text((mirror, y - 3), channels[level], fontsize=6)
        page.draw_line((x + 24, y + 20), (mirror, y + 20), color=(0.5, 0.5, 0.5), width=0.8)
    _caption(page, (72, 345, 540, 365), caption)
    prose(page, (72, 372, 540, 460), size=7)


def test_an_architecture_labelled_with_sizes_and_channel_counts_is_an_architecture(tmp_path: Path) -> None:
    """Bug (issue 23): a diagram whose labels are feature-map sizes and channel counts read as a plot
    although its caption says "architecture"; it then could not be the suggested diagram."""
    doc, page = _page()
    _unet_page(page, "Figure 1: U-net architecture (example for 32x32 pixels in the lowest resolution).")
    figs = _extract(tmp_path, doc)
    assert figs["1"].kind == "architecture" and figs["1"].is_diagram


def test_photo_panels_are_images_and_never_the_diagram(tmp_path: Path) -> None:
    """Bug (issue 23): panels of microscopy or photographs read as architecture and were chosen as
    the diagram instead of the real one."""
    import pymupdf

    doc, page = _page()
    prose(page, (72, 40, 540, 100), size=7)
    for col in range(3):
        for row in range(2):
            x, y = 90 + col * 150, 110 + row * 100
            page.insert_image(pymupdf.Rect(x, y, x + 140, y + 92), pixmap=_photo())
    _caption(page, (72, 310, 540, 330), "Figure 2: Overview of the data: microscopy images of HeLa cells.")
    prose(page, (72, 336, 540, 420), size=7)
    draw_diagram(page, (100, 430, 500, 520), labels=4)
    _caption(page, (72, 528, 540, 548), "Figure 3: The proposed segmentation network.")
    prose(page, (72, 556, 540, 640), size=7)
    figs = _extract(tmp_path, doc)
    assert figs["2"].kind == "images" and not figs["2"].is_diagram
    assert figs["3"].kind == "architecture"


def test_the_kinds_model_reads_the_captions_words_and_is_fitted_from_the_committed_table() -> None:
    """The model is fitted from `kinds_table.json` (labelled figures of the tune part only), and it
    weighs a caption opening on "architecture" towards architecture, not plot."""
    import json

    from alphatree_ingest.pdf.kinds import TABLE, model

    table = json.loads(TABLE.read_text())
    split = json.loads((Path(__file__).resolve().parent.parent / "bench" / "devset_split.json").read_text())
    assert table["papers"] and all(split.get(p) == "tune" for p in table["papers"])
    weights = model().weights()  # type: ignore[union-attr]
    assert weights["architecture"]["cap_arch"] > weights["plot"]["cap_arch"]


def test_a_supplement_that_numbers_its_figures_from_1_again_keeps_both_figures(tmp_path: Path) -> None:
    """Bug (issue 23): a supplement whose figures start again at 1 lost them all: one figure was kept
    per number, and its PNG and stored file were named by number only."""
    import pymupdf

    doc = pymupdf.open()
    for page_no, (first, second) in enumerate([((100, 170, 500, 262), None), (None, (100, 170, 300, 240))]):
        page = doc.new_page(width=612, height=792)
        prose(page, (72, 60, 540, 150), size=9)
        box = first or second
        assert box is not None
        draw_diagram(page, box, labels=3 if first else 2)
        _caption(page, (72, box[3] + 8, 540, box[3] + 30), f"Figure {page_no + 1}: The main paper's figure.")
        prose(page, (72, box[3] + 40, 540, box[3] + 130), size=9)
    for page_no in (1, 2):  # the supplement: figures 1 and 2 again, on pages 3 and 4
        page = doc.new_page(width=612, height=792)
        prose(page, (72, 60, 540, 150), size=9)
        draw_diagram(page, (150, 300, 450, 420), labels=4)
        _caption(page, (72, 428, 540, 450), f"Figure {page_no}: A supplementary figure.")
        prose(page, (72, 460, 540, 550), size=9)
    path = tmp_path / "paper.pdf"
    doc.save(path)
    out = tmp_path / "figures"
    figures = extract(path, out).figures
    assert [(f.page, f.number) for f in figures] == [(1, "1"), (2, "2"), (3, "1"), (4, "2")]
    assert [(f.page, f.number, f.key) for f in figures] == [
        (1, "1", "1"),
        (2, "2", "2"),
        (3, "1", "1-p3"),
        (4, "2", "2-p4"),
    ]
    assert sorted(p.name for p in out.iterdir()) == ["fig-1-p3.png", "fig-1.png", "fig-2-p4.png", "fig-2.png"]
    assert [f.file for f in figures] == ["fig-1.png", "fig-2.png", "fig-1-p3.png", "fig-2-p4.png"]
    # the paper's own figure 1 keeps its picture (400 pt wide), not the supplement's (300 pt)
    assert pymupdf.Pixmap(str(out / "fig-1.png")).width > pymupdf.Pixmap(str(out / "fig-1-p3.png")).width


def test_a_caption_repeated_later_is_still_one_figure(tmp_path: Path) -> None:
    """A figure number seen again that does not start a new numbering (figure 2 repeated after figure
    3) keeps its first region, and no second PNG is left behind."""
    import pymupdf

    doc = pymupdf.open()
    for number in ("1", "2", "3", "2"):
        page = doc.new_page(width=612, height=792)
        prose(page, (72, 60, 540, 150), size=9)
        draw_diagram(page, (150, 300, 450, 420), labels=3)
        _caption(page, (72, 428, 540, 450), f"Figure {number}: A figure.")
        prose(page, (72, 460, 540, 550), size=9)
    path = tmp_path / "paper.pdf"
    doc.save(path)
    out = tmp_path / "figures"
    figures = extract(path, out).figures
    assert [(f.page, f.key) for f in figures] == [(1, "1"), (2, "2"), (3, "3")]
    assert sorted(p.name for p in out.iterdir()) == ["fig-1.png", "fig-2.png", "fig-3.png"]


def _rendered(draw: Any, width: float, height: float) -> Any:
    """What a paper pastes in as one image: a drawing made elsewhere, saved as pixels (150 dpi)."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=width, height=height)
    draw(page)
    return page.get_pixmap(dpi=150)


def _plot_drawing(page: Any) -> None:
    """A matplotlib-like plot: a light grey frame with ticks and numbers, two coloured curves."""
    grey = (0.55, 0.55, 0.55)
    page.draw_rect((40, 10, 330, 170), color=grey, width=0.8)
    for i in range(6):
        x, y = 40 + i * 58, 170 - i * 32
        page.draw_line((x, 170), (x, 174), color=grey, width=0.8)
        page.draw_line((36, y), (40, y), color=grey, width=0.8)
        page.insert_text((x - 6, 184), str(i * 100), fontsize=7)
        page.insert_text((14, y + 3), f"{i * 0.2:.1f}", fontsize=7)
    page.draw_polyline([(40 + i * 10, 20 + 140 * (1 - 0.9**i)) for i in range(30)], color=(0.2, 0.3, 0.9))
    page.draw_polyline([(40 + i * 10, 30 + 120 * (1 - 0.85**i)) for i in range(30)], color=(0.9, 0.4, 0.1))


def _diagram_drawing(page: Any) -> None:
    """Labelled boxes joined by arrows, in two rows: a module drawn in a drawing program."""
    for row, y in enumerate((20, 110)):
        for col in range(3):
            x = 20 + col * 110
            page.draw_rect((x, y, x + 80, y + 40), color=(0, 0, 0), fill=(0.85, 0.92, 1.0), width=1)
            page.insert_text((x + 8, y + 24), ["Input", "Conv block", "Output"][col], fontsize=9)
            if col:
                page.draw_line((x - 30, y + 20), (x, y + 20), color=(0, 0, 0), width=1)
                page.draw_polyline([(x - 6, y + 16), (x, y + 20), (x - 6, y + 24)], color=(0, 0, 0), width=1)
        if row:
            page.draw_line((60, 60), (60, 110), color=(0, 0, 0), width=1)


def test_a_plot_and_a_diagram_pasted_in_as_images_are_told_apart(tmp_path: Path) -> None:
    """Issue 23: most kind errors were raster plots against raster diagrams (one embedded image each,
    no vector drawing to read). The plot, under a caption naming no kind, is a plot; the diagram, whose
    caption names a module, is an architecture (the caption's word is not outweighed by the rasters)."""
    import pymupdf

    doc, page = _page()
    prose(page, (72, 40, 540, 95), size=6)
    page.insert_image(pymupdf.Rect(150, 100, 450, 280), pixmap=_rendered(_plot_drawing, 340, 190))
    _caption(page, (72, 290, 540, 310), "Figure 1: The estimate of each run during training.")
    prose(page, (72, 316, 540, 370), size=6)
    page.insert_image(pymupdf.Rect(150, 380, 450, 540), pixmap=_rendered(_diagram_drawing, 360, 170))
    _caption(page, (72, 548, 540, 568), "Figure 2: The fusion module of the network.")
    prose(page, (72, 576, 540, 640), size=6)
    figs = _extract(tmp_path, doc)
    assert {n: f.kind for n, f in figs.items()} == {"1": "plot", "2": "architecture"}


def test_a_short_caption_centred_under_a_full_width_figure_of_a_two_column_page(tmp_path: Path) -> None:
    """Bug (issue 23): "Figure 2: Object detector." centred under a full-width figure of a
    two-column page was taken for a left-column caption, and the figure was lost."""
    doc, page = _page()
    draw_diagram(page, (60, 60, 552, 250), labels=4)
    _caption(page, (256, 258, 356, 280), "Figure 2: Detector.")
    prose(page, (50, 290, 300, 740), size=9)  # two columns of prose below
    prose(page, (312, 290, 562, 740), size=9)
    figs = _extract(tmp_path, doc)
    assert figs["2"].bbox == pytest.approx((64, 60, 548, 250), abs=3)


def test_an_invisible_white_sheet_behind_a_drawing_does_not_swallow_its_caption(tmp_path: Path) -> None:
    """Bug (issue 23): a white, unstroked background rectangle reaching past the drawing, over its
    caption and below, made one graphic with it, which no longer fitted above the caption: lost."""
    import pymupdf

    doc, page = _page()
    prose(page, (72, 60, 540, 150), size=9)
    sheet = page.new_shape()
    sheet.draw_rect(pymupdf.Rect(90, 160, 520, 330))
    sheet.finish(fill=(1, 1, 1), color=None)
    sheet.commit()
    draw_diagram(page, (100, 170, 500, 262))
    _caption(page, (72, 268, 540, 290), "Figure 1: Architecture of the network.")
    prose(page, (72, 340, 540, 430), size=9)
    figs = _extract(tmp_path, doc)
    assert figs["1"].bbox == pytest.approx((104, 170, 496, 262), abs=3)


def test_a_caption_run_into_the_drawings_last_label_is_still_a_caption(tmp_path: Path) -> None:
    """Bug (issue 23): PyMuPDF ran a sub-figure's label ("(b) Results of RRD") or a diagram's last node
    ("x") and the caption below it into one block, which then did not start with "Figure 2", so the
    figure was lost (55 of the 88 figures missing on the tune part). Running text that wraps onto
    "Fig. 3. This process ..." stays running text: no figure is made of it."""
    import pymupdf

    doc, page = _page()
    prose(page, (72, 60, 540, 150), size=9)
    draw_diagram(page, (100, 170, 500, 250))
    text_box(
        page,
        pymupdf.Rect(72, 254, 540, 300),
        "(b) Results of RRD\nFigure 2: Architecture of RRD. The regression branch reads rotated features.",
        fontsize=8,
    )
    wrapped = (
        "The encoder and the decoder are trained together, as illustrated in the top row of the next\n"
        "Fig. 3. This whole process is repeated for every scale of the feature pyramid, and the outputs\n"
        "are merged by a learned weight for each scale before the final prediction is made here."
    )
    text_box(page, pymupdf.Rect(72, 320, 540, 380), wrapped, fontsize=9)
    text_box(
        page,
        pymupdf.Rect(72, 400, 540, 440),
        "Figure 5: Baseline results.\nFig. 4. gives the same results for our model on the test set.",
        fontsize=8,
    )
    from alphatree_ingest.pdf.layout import page_blocks

    assert not [b for b in page_blocks(page) if b.text.startswith(("Fig. 3.", "Fig. 4."))]
    figs = _extract(tmp_path, doc)
    assert sorted(figs) == ["2"]
    assert figs["2"].caption.startswith("Figure 2: Architecture of RRD")
    assert figs["2"].bbox[1] == pytest.approx(170, abs=3) and figs["2"].bbox[3] <= 266


def test_a_caption_set_beside_its_figure_finds_it_and_leaves_other_figures_theirs(tmp_path: Path) -> None:
    """Bug (issue 23): a caption set to the right of its figure (a wrapped figure, as ICML papers set
    them) found nothing above or below it, so the figure was lost. Its figure is now the drawing level
    with it, two panels a gutter apart included; a caption with no drawing beside it gets no figure."""
    doc, page = _page()
    prose(page, (72, 60, 540, 150), size=9)
    draw_diagram(page, (72, 170, 190, 300), labels=2)
    draw_diagram(page, (204, 170, 322, 300), labels=2)
    _caption(page, (340, 200, 540, 250), "Figure 2. Architecture of the adapter module and its integration.")
    prose(page, (72, 320, 540, 400), size=9)
    draw_diagram(page, (100, 420, 500, 500))
    _caption(page, (72, 506, 540, 520), "Figure 3: The training loop.")
    _caption(page, (340, 560, 540, 580), "Figure 4. Accuracy of each variant.")
    prose(page, (72, 600, 540, 700), size=9)
    figs = _extract(tmp_path, doc)
    assert sorted(figs) == ["2", "3"]
    assert figs["2"].bbox == pytest.approx((76, 170, 318, 300), abs=3)
    assert figs["3"].bbox == pytest.approx((104, 420, 496, 500), abs=3)


def test_a_side_caption_never_takes_another_figures_drawing_nor_a_tables_rules(tmp_path: Path) -> None:
    """What a caption set beside a figure must not take (review of the fix above): the drawing of the
    next column's figure, which has its own caption below it; the drawing level with another wrapped
    figure's caption; the rules of a table in the other column."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)  # two columns: figure 3 is the left column's
    prose(page, (54, 30, 300, 160), size=9)
    draw_diagram(page, (60, 175, 295, 260))
    _caption(page, (54, 266, 300, 296), "Figure 3: The training loop of the model, with its two losses.")
    prose(page, (54, 300, 300, 520), size=9)
    prose(page, (312, 30, 558, 160), size=9)
    _caption(page, (312, 240, 558, 270), "Figure 4: An example prompt given to the model, with the question.")
    prose(page, (312, 300, 558, 520), size=9)
    page = doc.new_page(width=612, height=792)  # two wrapped figures, one above the other
    prose(page, (54, 30, 558, 160), size=9)
    draw_diagram(page, (60, 200, 240, 260), labels=2)
    _caption(page, (250, 210, 400, 250), "Figure 5. The encoder of the model.")
    draw_diagram(page, (60, 270, 240, 330), labels=2)
    _caption(page, (250, 280, 400, 320), "Figure 6. The decoder of the model.")
    prose(page, (54, 360, 558, 500), size=9)
    page = doc.new_page(width=612, height=792)  # a prompt box's caption level with a table's rules
    prose(page, (54, 30, 300, 250), size=9)
    _caption(page, (54, 262, 300, 300), "Figure 7: A prompt of the benchmark, with the passages it reads.")
    prose(page, (54, 320, 300, 600), size=9)
    prose(page, (312, 30, 558, 230), size=9)
    _caption(page, (312, 240, 558, 256), "Table 2: Accuracy of each variant on the benchmarks.")
    shape = page.new_shape()
    for y in (262, 278, 294, 310):
        shape.draw_line((312, y), (558, y))
    shape.finish(color=(0, 0, 0), width=0.6)
    shape.commit()
    prose(page, (312, 330, 558, 600), size=9)
    figs = _extract(tmp_path, doc)
    assert sorted(figs) == ["3", "5", "6"]
    assert figs["5"].bbox == pytest.approx((64, 200, 236, 260), abs=3)
    assert figs["6"].bbox == pytest.approx((64, 270, 236, 330), abs=3)


def test_drawings_are_clustered_as_pymupdf_clusters_them() -> None:
    """`cluster_rects` replaces PyMuPDF's `Page.cluster_drawings` (a pairwise loop in Python that took a
    tenth of extraction): the same boxes on a page of a diagram, a scatter plot of 300 markers, a
    lone rule and a chain whose growing box takes in a path no single member of it comes near."""
    import random

    import pymupdf

    from alphatree_ingest.pdf.figures import _drawings, cluster_rects

    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    for x in (80, 150, 220):  # a diagram: three boxes joined by arrows
        page.draw_rect(pymupdf.Rect(x, 100, x + 50, 140), color=(0, 0, 0))
        page.draw_line((x + 50, 120), (x + 70, 120), color=(0, 0, 0))
    page.draw_rect(pymupdf.Rect(400, 100, 500, 102), color=(0, 0, 0))  # a lone rule
    # a chain: box 2 is near box 1, box 3 is near the box of 1 and 2 but 6 pt from each
    page.draw_rect(pymupdf.Rect(80, 300, 120, 320), color=(0, 0, 0))
    page.draw_rect(pymupdf.Rect(122, 300, 160, 360), color=(0, 0, 0))
    page.draw_rect(pymupdf.Rect(90, 326, 116, 350), color=(0, 0, 0))
    rng = random.Random(7)
    for _ in range(300):  # a scatter plot
        x, y = rng.uniform(300, 540), rng.uniform(450, 700)
        page.draw_circle((x, y), 1.2, color=(0, 0, 1), fill=(0, 0, 1))
    page.draw_rect(pymupdf.Rect(20, 760, 700, 770), color=(0, 0, 0))  # off the page: left out
    drawings = _drawings(page)
    ours = cluster_rects([d["rect"] for d in drawings], tuple(page.rect))
    theirs = sorted({tuple(round(v, 3) for v in r) for r in page.cluster_drawings(drawings=drawings)})
    assert sorted(tuple(round(v, 3) for v in b) for b in ours) == theirs
    assert (80, 300, 160, 360) in [tuple(round(v) for v in b) for b in ours]  # the chain is one box
