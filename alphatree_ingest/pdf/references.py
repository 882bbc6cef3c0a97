"""Pure: code links and references parsed from a paper's extracted text."""

from __future__ import annotations

import re

from ..models import CodeLink, NameUse, Reference

REPO_URL = re.compile(
    r"https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)/[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)?",
)
CODE_HOSTS = ("github.com", "gitlab.com", "huggingface.co")
OTHER_URL = re.compile(
    r"(?:https?://|\bwww\.)[^\s<>()\[\]{}\"'|]+"
    r"|\b(?:bit\.ly|goo\.gl|git\.io|tinyurl\.com|t\.cn|shorturl\.at|aka\.ms|s\.[a-z]+\.com|cutt\.ly|rb\.gy|"
    r"is\.gd|t\.ly|tiny\.cc|ow\.ly|bit\.do|dwz\.cn|url\.cn)/[\w\-]+",
    re.IGNORECASE,
)
"""Any other web address: a lab or personal page, a project page, a short link. It is the paper's code
only when the sentence says so (`classify_link` gives `own`)."""
NOT_CODE_HOSTS = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:arxiv\.org|doi\.org|dx\.doi\.org|creativecommons\.org|"
    r"[\w.\-]*(?:ieee|acm|springer|elsevier|sciencedirect|openreview|neurips|nips|thecvf|aclweb|"
    r"aclanthology|mlr\.press|jmlr)\.(?:org|com|cc|press)|image-net\.org|cocodataset\.org|"
    r"pytorch\.org|tensorflow\.org|keras\.io|caffe\.berkeleyvision\.org|mxnet\.\w+|"
    r"paddlepaddle\.org)\b",
    re.IGNORECASE,
)
"""Pages that are never a paper's own code: preprint and publisher pages, datasets, frameworks."""
ARXIV_REF = re.compile(
    r"(?:arXiv\s*(?:preprint\s*)?(?:e-prints?,?\s*)?(?:abs/)?:?\s*|arxiv\.org/(?:abs|pdf)/)"
    r"(\d{4}\.\d{4,5})",
    re.IGNORECASE,
)
FRAMEWORKS = {
    "pytorch": "pytorch",
    "torch": "pytorch",
    "tensorflow": "tensorflow",
    "jax": "jax",
    "keras": "tensorflow",
    "mxnet": "mxnet",
    "paddle": "paddle",
}


def _framework(text: str) -> str | None:
    lowered = text.lower()
    for word, name in FRAMEWORKS.items():
        if re.search(rf"\b{word}\b", lowered):
            return name
    return None


# --- code links ----------------------------------------------------------------------------------

_FOUND = r"(?:can|may|could) be (?:found|downloaded|obtained|accessed)"
_AVAILABLE = (
    r"(?:(?:is|are|will be|has been|have been|was|were)\s+(?:publicly\s+|made\s+|freely\s+){0,2}"
    r"(?:available|released|open[- ]?sourced?|accessible|hosted)|available\s+(?:at|from|on)|"
    rf"released\s+(?:at|on)|{_FOUND}|"
    r"(?:is|are) (?:at|in|on)\b(?! top of)|at:)"
)
_NOT_OURS = (
    r"(?!(?:baselines?|competitors?|other|others|original|prior|previous|compared|existing|backbones?|"
    r"state-of-the-art|we|they)\b)"
)
_CODE_OF = (
    r"(?:\s+(?:of|for)\s+(?:the|this|these|our|all)\s+"
    rf"(?-i:(?:{_NOT_OURS}[a-z][a-z\-]*\s+){{0,3}}?{_NOT_OURS}[a-z][a-z\-]*)"
    r"(?:\s+(?:that|which)\s[^.]{0,160}?)?)?"  # "... of the entire framework that accepts ... is available"
)
"""What the code is the code of, in lower-case words ("the source code of the segmentation
algorithms"): the paper's own things. A capitalised name (another work) or a baseline is not."""
_PAGE = r"project(?:\s+(?:page|web\s?page|website|homepage|site))?"
CODE_AVAILABLE = re.compile(
    r"(?<!\bwhose )(?<!\btheir )(?<!\bits )(?<!\bhis )(?<!\bher )"
    r"\b(?:source\s+)?codes?(?:\s[\d*†‡§¶]{1,2})?"
    r"(?:\s+(?!(?:of|for|by|from|released|provided|written|whose|which|that|their|his|her|its)\b)"
    r"(?-i:[a-z][\w\-]*)){0,10}?"
    r"\s+(?:is|are)\s+(?:now\s+)?(?:publicly\s+|freely\s+)?(?:available|released)\b",
    re.IGNORECASE,
)
"""The code said to be available further into the sentence ("..., and source code is available at",
"Videos of all experiments and example source code are available online", "The code we used to train
our models is available at"), with only lower-case words between: not the code "of", "for", "released
by" or "provided by" someone, nor "whose" or "their" code; a citation before it still makes it another
work's."""


def _our_thing_marked(note: str, mark: str) -> bool:
    """The footnote's `mark` sits right on the paper's own method ("we implement our method2, ...")."""
    thing = r"(?:method|approach|model|framework|system|network|algorithm|implementation)s?"
    pattern = rf"\bour\s+(?:[\w\-]+\s+)?{thing}\s?{re.escape(mark)}(?:[\s.,;:]|$)"
    return bool(re.search(pattern, note, re.IGNORECASE))


def _name_marked(footnote: str, note: str, names: tuple[str, ...]) -> bool:
    """The mark that opens the `footnote` sits right on one of the paper's method names in `note`, the
    sentence carrying it ("we propose a conditional adversarial autoencoder (CAAE)1 network", "MDNet2
    runs at")."""
    mark = re.match(r"\s*([\d*†‡§¶]{1,2})", footnote)
    after = rf"\)?{re.escape(mark.group(1))}(?![\w\-]|[.,]\d)" if mark else None
    return after is not None and any(
        re.search(rf"(?<![\w\-]){re.escape(name)}{after}", note) for name in names
    )


FRAMEWORK_CITED = re.compile(
    r"\b((?:py-?\s?torch|tensor-?\s?flow|caffe2?|theano|lasagne|mxnet|chainer|keras|jax|paddle(?:paddle)?|"
    r"mindspore|torch\d?)(?:\s+(?:toolbox|library|framework|platform))?)"
    r"\s*(?:\[\d{1,3}(?:\s*,\s*\d{1,3})*\]|\([^()]{0,60}?(?:19|20)\d\d[a-z]?\))",
    re.IGNORECASE,
)
"""A framework cited by name ("the Caffe toolbox [30]", "PyTorch [43] implementation", "Lasagne
(Dieleman et al., 2015)"): the tool the code is written in, not another work whose code it is."""
_OPENER = (
    r"(?:(?:to this end|in addition|additionally|finally|lastly|moreover|furthermore|besides|also|"
    r"for reproducibility|to facilitate (?:future )?research|to foster (?:future )?research)\s*,\s*)?"
)
"""A connective that may open the sentence before its subject ("To this end, code and trained models
can be found at"): the paper's own voice goes on; a cited work ("Following [12], ...") is no opener."""
CODE_SUBJECT = re.compile(  # at a sentence's start or a footnote's (after its mark)
    rf"(?:(?:^|[.:;]\s|\(\s*)(?:[\d*†‡§¶]{{1,2}}\s?)?|\n[\d*†‡§¶]{{1,2}}\s?){_OPENER}"
    rf"(?:the\s+|our\s+|all\s+|an?\s+)?(?:(?:pre-?)?trained\s+)?"
    rf"(?:source\s+|pytorch\s+|official\s+)?"
    rf"(?:codes?|implementations?|models?|{_PAGE}|(?:github\s+)?repo(?:sitory)?|"
    rf"code\s+(?:and|&)\s+(?:pre-?trained\s+)?models?)"
    rf"(?:\s+(?:and|&)\s+(?:the\s+)?(?:(?:pre-?trained\s+)?(?:models?|weights|checkpoints)|(?:source\s+)?code|"
    rf"data(?:sets?)?|hyper-?parameters|scripts|configs?|configurations|[a-z][\w\-]*(?:\s+[a-z][\w\-]*)?))?"
    rf"(?:\s*/\s*models?)?"
    rf"{_CODE_OF}"
    rf"(?:\s+(?:to|for)\s+(?:train|reproduce|run|replicate)[^.:]{{0,60}}?)?\s*(?:{_AVAILABLE}|:)",
    re.IGNORECASE,
)
"""A sentence whose subject is the code itself: "Code is available at", "Code:", "Source code is at"."""
FIRST_PERSON = re.compile(  # "(?<![A-Za-z])": a footnote's mark may be glued on ("8Our models")
    r"(?<![A-Za-z])our\s+(?:(?:pre-?)?trained\s+)?(?:models?\s+and\s+)?(?:[\w\-]+\s+){0,2}"
    r"(?:code|codes|implementation|project\s+(?:page|web\s?page|website|homepage|site)|repository)\b"
    r"|(?<![A-Za-z])our\s+patch(?:es)?\s+(?:for|to)\s+(?:this|the|our)\s+(?:implementation|code(?:base)?)\b"
    r"|(?<![A-Za-z])we\s+(?:will\s+|have\s+)?(?:publicly\s+)?"
    r"(?:release|open[- ]?source|share|provide|publish)(?:d|s|ed)?\b[^.]{0,40}"
    r"\b(?:code|implementation|models?)"
    r"|(?<![A-Za-z])we\s+(?:will\s+|have\s+)?(?:publicly\s+)?"
    r"(?:release|open[- ]?source|publish)(?:d|s|ed)?\s+(?:[\w\-]+\s+){1,4}?(?:named|called|dubbed|termed)\b"
    r"|(?<![A-Za-z])we\s+(?:will\s+)?make\b[^.]{0,90}\b(?:available|public)"
    r"|\b(?:code|implementation|models?)\b[^.]{0,30}\b(?:of|for) (?:this|our) (?:paper|work|method|approach)"
    r"|\bcodes?\s+(?:to|for)\s+(?:train|reproduce|run|replicate)\b[^.]{0,40}\bour\b",
    re.IGNORECASE,
)
DEPENDENCY = re.compile(
    r"\b(?:uses?|using|used|adopt(?:s|ed|ing)?|borrow(?:ed|s)?|adapt(?:ed|s)? from|"
    r"buil(?:t|ds?|ding) (?:up)?on|based on|"
    r"on top of|off of|initiali[sz](?:e|ed|es|ing|ation)\s+(?:\w+\s+)?(?:with|from|by)|"
    r"follow(?:s|ing|ed)?|implemented (?:with|in|using|by)|provided by|released by|from the official|"
    r"third[- ]party|toolbox|codebase of|[a-z]+'s (?:code|implementation)|deploy(?:ed|ing|s|ment)?|"
    r"inference (?:engine|library|framework|runtime)|accelerat(?:ed|e|ing) (?:with|by|using)|"
    r"(?:run|ran|runs|running|converted|exported|benchmarked|quantized|compiled|served)\s+"
    r"(?:[\w\-]+\s+){0,4}?(?:with|using|via)|(?:converted|exported|compiled)\s+(?:[\w\-]+\s+){0,3}?to|"
    r"(?:pre-?trained |trained )?models? (?:from|of|provided|released|published)|"
    r"(?:code|implementation)s? (?:from|of) (?!(?:this|our|the proposed|the presented)\b))\b",
    re.IGNORECASE,
)
OTHERS_VOICE = re.compile(
    r"\b(?:their|his|her)\s+(?:[\w\-]+\s+){0,2}(?:code|codes|implementations?|models?|repository|software)\b"
    r"|\bthank|\bcourtesy of\b|\bkindly\s+(?:provided|shared|released)"
    r"|\bcompar(?:e|ed|es|ing)\s+(?:\w+\s+){0,3}?(?:with|to|against)\b|\bthe authors of\b|\bauthors'",
    re.IGNORECASE,
)
"""Words that give the code to someone else: "their code", "we thank X for", "courtesy of", "we
compare with", "the authors of"."""
ROLE_RANK = {"own": 0, "dependency": 1, "others": 2, "dataset": 3, "mention": 4, "aside": 5, "reference": 6}
"""Which reading of a repository the paper gives more than once wins: its own code first, then what
says whose code it is (used, another work's, data), before a bare mention that says nothing."""
OTHER_WORK = re.compile(
    r"\[\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\]|\[[A-Z][A-Za-z+]{1,6}\d{2}[a-z]?\]|\bet al\b"
    r"|\([A-Z][a-z\-]+(?: and [A-Z][a-z\-]+)?,? (?:19|20)\d\d"  # a surname, not a venue: "(NeurIPS 2020)"
    r"|\((?:19|20)\d\d[a-z]?\)"
)
"""A citation of another work: `[12]`, `[SL06]`, `Zhang et al.`, `(Smith, 2016)`, `(Shi and Bai 2015)`,
`(2017)`."""
DATA_WORDS = re.compile(
    r"\b(?:data ?sets?|benchmarks?|corpus|corpora|annotations?|leaderboards?|challenges?|"
    r"tasks can be found|(?:training|test|evaluation) data)\b",
    re.IGNORECASE,
)
"""A sentence about data, not code: a dataset, a benchmark, a corpus, annotations."""


SENTENCE_WORDS = (
    "for|and|or|to|in|of|on|at|by|as|is|are|was|were|with|from|the|a|an|which|that|where|see|our|we|"
    "it|this|these|its|their|can|will|has|have|under|via|using|including|provides?|contains?|figure|fig|table"
)
"""English words that go on a sentence after a URL; a URL broken at a line end never continues with one."""


BARE_HOSTS = re.compile(
    r"(?<![\w./:@\-])((?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co|bitbucket\.org|gitee\.com|"
    r"code\.google\.com|sourceforge\.net|[\w\-]+\.github\.io)/(?=\w))",
    re.IGNORECASE,
)
"""A code host's address printed without its scheme ("Code: github.com/lab/net")."""


def _rejoin_urls(text: str) -> str:
    """Undo line breaks inside URLs: `github. com/a`, `github.com/a/ b-c`, `pytorch- image-models`,
    `https: // github. com/ lab/ net`; read a tilde set as an accent (`edu/˜me`) as `~`; give an address
    printed without its scheme (`github.com/lab/net`) its `https://`."""
    text = re.sub(r"(https?:)\s*(//)\s*", r"\1\2", text)  # "https: // github. com/ lab/ net"
    text = re.sub(r"(https?://(?:www\.)?(?:github|gitlab|huggingface))\.\s+(com|co)\b", r"\1.\2", text)
    # a host broken after a dot: "https://peterl1n. github.io/Net/" (the rest goes on to a path)
    text = re.sub(r"(https?://[\w\-]+(?:\.[\w\-]+)*)\.\s+((?:[a-z0-9\-]+\.)*[a-z]{2,6}/)", r"\1.\2", text)
    # a home page's tilde set as a spacing accent ("edu/˜rbg", "edu/ ˜xgwang"): the address has "~"
    text = re.sub(r"(https?://[^\s]*/)\s?[˜∼]", r"\1~", text)
    text = BARE_HOSTS.sub(r"https://\1", text)
    # ... but never onto the sentence's next word: "at http://lab.org/project/ for our code", nor
    # across a blank line (the next block: "piccolo/" + "constellation_loss/" + blank + "Acknowledgments")
    pattern = re.compile(
        rf"(https?://[^\s]*?[/\-_])(?=\s)[ \t]*\n?[ \t]*"
        rf"(?!(?i:{SENTENCE_WORDS})\b(?![\-_]))(?=[A-Za-z0-9][\w.\-/]*[\w/](?:[\s.,;)]|$))"
    )
    # an owner cut inside its name, the rest with its repository after the break: "github.com/YihengZha
    # ng-CV/LPS-Net" (a bare owner is never followed by an "x/y" word of its own)
    text = re.sub(
        r"(https?://(?:www\.)?(?:github|gitlab)\.com/[\w\-]+)\s+(?!(?:and|or)/)([\w\-]+/[\w.\-]*\w)",
        r"\1\2",
        text,
    )
    for _ in range(3):  # one break per pass: "github.com/ lab/ net" takes two
        text, joined = pattern.subn(r"\1", text)
        if not joined:
            break
    # a break after a dot inside a repository's name (`pose.` + `pytorch`): the part that follows is
    # one of the usual name endings (a framework, a language), not the next sentence
    dotted = re.compile(
        r"(https?://(?:www\.)?(?:github\.com|gitlab\.com)/[\w.\-]+/[\w\-]+\.)\s*\n\s*"
        r"(?=(?:pytorch|torch|tensorflow|tf|keras|mxnet|jax|paddle|caffe|chainer|py|io|jl|js|cpp|lua|"
        r"github\.io)(?:[\s,;)]|\.\s|\.?$))",
        re.MULTILINE,
    )
    return dotted.sub(r"\1", text)


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end] (a URL), bounded to 300 characters each side."""
    before = text[max(0, start - 300) : start]
    # a sentence ends before a capital, a footnote's URL, or a footnote glued to its mark ("1The code")
    cut = [
        m.end()
        for m in re.finditer(
            r"(?<!\bal)(?<!\bcf)(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)[.!?]\s+(?=[A-Z(]|\d{1,2}(?:\s?(?:https?://|www\.|$)|[A-Z]))"
            r"|(?<=\bal)\.\s+(?=[A-Z][a-z])"  # "... of Smith et al. Code is": "et al. (2016)" goes on
            r"|\n(?=[\d*†‡§¶]{1,2}\s?(?:[A-Z][a-z]|https?://|www\.|$))"  # a footnote opening its line
            r"|(?<=[a-z,;]) (?=\d{1,2}[A-Z][a-z]+ )",  # one the text order put mid-line ("the 1Code is")
            before,
        )
    ]
    # a layout block that starts with a capital after a heading, a table's cells or a finished
    # sentence starts a sentence too ("... b Salimans et al. [25]" + "B Experimental setup" + "Source
    # code for the experiments is available at"); a paragraph running on into the next column does not
    cut += [
        m.end()
        for m in re.finditer(r"\n[ \t]*\n(?=[A-Z])", before)
        if len(re.split(r"\n[ \t]*\n", before[: m.start()])[-1].split()) < 8  # the block before it
        or re.search(r"[.!?:]\s*$", before[: m.start()])
    ]
    head = before[max(cut) :] if cut else before
    after = text[end : end + 300]
    stop = re.search(r"[.!?]\s+(?=[A-Z0-9(])|\s\d{1,2}\s?https?://", after)
    tail = after[: stop.start() + 1] if stop else after
    if re.match(r"[ \t]*\n[ \t]*\n", after):
        tail = ""  # the address ends its block (a footnote, a line of its own): what follows is another
    return f"{head}{text[start:end]}{tail}".strip()


def sentence_around(block: str, anchor: str) -> str:
    """The sentence of a layout block that holds a link's anchor text (the words the link is set on),
    so a link is judged on its own sentence, not on the whole paragraph; the block when not found."""
    at = block.find(anchor) if len(anchor) >= 2 else -1
    return _sentence(block, at, at + len(anchor)) if at >= 0 else block


def _footnote_opening(text: str, line_start: int) -> tuple[str, str] | None:
    """A footnote of several lines whose URL is on a later line: the mark glued to the first word of
    one of the three lines above (`3After each batch ...`), and the text before that line."""
    at = line_start
    for _ in range(3):
        if at <= 0:
            return None
        above = text.rfind("\n", 0, at - 1) + 1
        found = re.match(r"(\d{1,2})[A-Z][a-z]+\s", text[above:at])
        if found:
            return found.group(1), text[:above]
        at = above
    return None


def _footnote_context(text: str, start: int) -> str:
    """For a URL in a footnote (`1https://...`, `1 https://...`), the sentence carrying the mark."""
    line_start = text.rfind("\n", 0, start) + 1
    mark = re.search(r"(?:^|\s)(\d{1,2})(\.?)\s?$", text[max(0, start - 5) : start])  # "2 <url>", "2. <url>"
    if mark and mark.group(2):  # "2." is a footnote's mark only where it opens its line: not "Table 2. <url>"
        digit_at = max(0, start - 5) + mark.start(1)
        if text[text.rfind("\n", 0, digit_at) + 1 : digit_at].strip():
            mark = None
    opens = re.match(r"\s*(\d{1,2})\.?\s?(?=[A-Z])", text[line_start:start])  # "3Official code: <url>"
    if mark:
        digit, body = mark.group(1), text[: max(0, start - 5)]
    elif opens and start - line_start < 120:
        digit, body = opens.group(1), text[:line_start]
    else:
        opened = _footnote_opening(text, line_start)
        if opened is None:
            return ""
        digit, body = opened
    return _mark_sentence(body, digit)


def _mark_sentence(body: str, digit: str) -> str:
    """The sentence of `body` that carries the footnote mark `digit`: the last place the digit is set
    apart after a word that gives code out ("publicly available 1.": "G1 and G2" in a formula below it
    is not the mark); else the last one glued to its word."""
    # the mark ends a word or follows its punctuation; not `3x3`, `L1-norm`, `v1.5`, `0.1` (formulas, tables),
    # a version (`YOLOv1[21]`, `ResNetV2`) or a closing quote ("a feature extractor named “CutFeat” 1")
    pattern = (
        rf"(?:(?<!\d)(?:[A-Za-uw-z)]|(?<![A-Za-z])[vV])|(?<=\d)\]|(?<=[A-Za-z)\]])[.,:;]|[”\"’]\s?){digit}"
        r"(?![\w/\-)\]}]|[.,]\w)"
    )
    found = list(re.finditer(pattern, body))
    # set apart from a word that gives code out: "... will be made publicly available 1.", or from the
    # address the sentence gives ("released at: https://github.com/lab/net 1.")
    spaced = [
        hit
        for hit in re.finditer(rf"(?<=[\w/]) {digit}(?=[.,;)]\s)", body)
        # the word before it, read on the last few lines only ("avail-\nable 1."), not the whole page
        if re.search(
            r"(?:\b(?:available|online|released|code|implementation|repository)|(?:https?://|www\.)\S+)$",
            _flat(body[max(0, hit.start() - 200) : hit.start()]),
        )
    ]

    def sentence_of(hit: re.Match[str]) -> str:
        # "... the X library.1 Because our ...": the sentence ends at its mark
        ends = body[hit.end() - len(digit) - 1] in ".!?"
        return _sentence(body[: hit.end()] if ends else body, hit.start(), hit.end())

    if spaced:
        return sentence_of(spaced[-1])
    return sentence_of(found[-1]) if found else ""


def classify_link(
    sentence: str,
    *,
    front: bool,
    in_references: bool,
    before: str | None = None,
    names: tuple[str, ...] = (),
    title_note: bool = False,
) -> tuple[str, bool]:
    """(role, official) of a repository link from the sentence that carries it.

    own: the paper's code ("Code is available at", "our code", a link on the title page or in the
    abstract that no other subject claims, a sentence whose subject is the paper's method, one of
    `names`: "CutNet is available at"); dependency: code the work uses, builds on, runs or deploys
    with; dataset: a sentence about data, not code; others: a link beside a citation of another work;
    reference: a link in the reference list; mention: any other. Only own links on the paper's words
    are official: in first person, or a sentence whose subject is the code (or the method, by name) on
    the title page (`front`) or in a footnote of the first page (`title_note`).
    """
    if in_references:
        return "reference", False
    sentence, before = _flat(sentence), None if before is None else _flat(before)
    # a citation of the framework the code is written in is not another work's: read without it
    sentence = FRAMEWORK_CITED.sub(r"\1", sentence)
    before = None if before is None else FRAMEWORK_CITED.sub(r"\1", before)
    first_person = bool(FIRST_PERSON.search(sentence))
    code_subject = bool(
        CODE_SUBJECT.search(sentence) or CODE_AVAILABLE.search(sentence) or _names_subject(sentence, names)
    )
    leading = sentence if before is None else before  # what the paper says before the link
    # "... is available at", "The code can be found at": the sentence gives the code out (the code as
    # its subject, or the paper's voice with "available", "released", "open-source", "can be found")
    says = rf"availab|releas|open[- ]?sourc|{_FOUND}"
    # ... said before the link: "our implementation off of minGPT (<url>), a publicly available
    # re-implementation of GPT" says the linked work is available, not the paper's code
    claimed = code_subject or (first_person and re.search(says, leading, re.I))
    if DEPENDENCY.search(leading) and not claimed:
        return "dependency", False
    if OTHERS_VOICE.search(leading) and not first_person:
        return "others", False  # "we thank the authors of X for sharing their code at <url>"
    if DATA_WORDS.search(sentence) and not _says_code(sentence):
        return "dataset", False  # "our dataset is available at", "the benchmark tasks can be found at"
    if code_subject and not first_person and OTHER_WORK.search(leading):
        return "others", False  # "... DETR [5].³" with "³Official implementation: <url>": DETR's code
    if first_person or code_subject:
        # a method named like another's is not official; "Code is available at" is on the title page
        # (above the Introduction, or in a first-page footnote)
        return "own", first_person or ((front or title_note) and code_subject)
    if OTHER_WORK.search(sentence):
        return "others", False  # a link next to a citation of another work: that work's code
    return ("own", True) if front else ("mention", False)


def _flat(text: str) -> str:
    """Text with its line breaks as spaces ("can\nbe found" reads as "can be found"), except a line
    break before a footnote's mark ("\n1The code is at"), which starts a footnote."""
    kept = re.sub(r"\n(?=[\d*†‡§¶]{1,2}\s?[A-Za-z(])", "\x00", text)
    flat = re.sub(r"\s+", " ", kept).replace("\x00", "\n").strip()
    # a footnote's mark glued to a word ("source code3 are available", "open-source our code4."): a
    # word of its own, so "code" reads as code; not inside an address (`github.com/lab/net2`)
    flat = re.sub(r"(?<![/\w.\-=~#?&])([a-z]{3,})(\d)(?=[\s.,;:)]|$)", r"\1 \2", flat)
    # a word hyphenated at a line end ("mod- els"); not a compound's part ("out-of- vocabulary") nor
    # a shared prefix ("pre- and post-training")
    return re.sub(r"(?<![\w\-])([a-z]{2,})- (?!(?:and|or|to|nor)\b)(?=[a-z]{2,})", r"\1", flat)


def _names_subject(sentence: str, names: tuple[str, ...]) -> bool:
    """The sentence's subject is the paper's method (or its code: "Codes and models of CutNet"), and it
    says the method is available or released ("CutNet is implemented in C++ and is available at ...")."""
    code_of = r"(?:the\s+)?(?:source\s+)?codes?(?:\s+and\s+(?:pre-?trained\s+)?models)?\s+of\s+"
    for name in names:
        subject = rf"(?:^|[.:;]\s|\n\d{{1,2}})(?:the\s+)?(?:{code_of})?{re.escape(name)}(?:'s)?\s"
        start = re.search(subject, sentence, re.IGNORECASE)  # a title set in capitals: "TABNET:"
        if start and re.search(_AVAILABLE, sentence[start.end() :], re.IGNORECASE):
            return True
    return False


def title_names(title: str) -> tuple[str, ...]:
    """The name a title gives the paper's method: `Name: subtitle` gives Name, and a title of three
    words or fewer is the name (`Fast R-CNN`). An acronym inside a longer title is not taken: it often
    names another work the paper studies ("What BERT learns about ...")."""
    head, sep, _ = title.partition(":")
    if sep and 1 <= len(head.split()) <= 4 and len(head) <= 40:
        return (head.strip(),)
    if 1 <= len(title.split()) <= 3:
        return (" ".join(title.split()),)
    return ()


_ACRONYM = r"(?=[\w+\-]*?(?<![\w+])[\w+]*?[A-Z][\w+]*?[A-Z0-9])[A-Z][\w+\-]*[\w+]"
"""A method's name: one part of it (between hyphens) with two capitals or a capital and a digit ("MDNet",
"CAAE", "YOLOv3", "LPS-Net"), not capitalised words ("Non-Maximum")."""
INTRODUCED = (
    re.compile(
        rf"\b(?i:we|this\s+(?:paper|work))\s+(?:\w+\s+){{0,2}}?(?:propose|present|introduce|develop|design|devise)"
        rf"[sd]?\b[^.;]{{0,120}}?\(({_ACRONYM})\)"
    ),
    re.compile(
        rf"\b(?:called|named|dubbed|termed|coined|referred\s+to\s+as|denoted\s+(?:as|by))\s+(?:the\s+|an?\s+)?"
        rf"(?:[“‘\"']?({_ACRONYM})\b|(?:[“‘\"']?[\w\-]+[”’\"']?(?:\s+|(?=\())){{1,6}}?\(({_ACRONYM})\))"
    ),
)
"""Where a paper names its own method: "we propose a conditional adversarial autoencoder (CAAE)", "a
novel CNN architecture, referred to as Multi-Domain Network (MDNet)", "a network dubbed FooNet", "a
structure called “Network In Network”(NIN)". Each reading runs over the whole text on its own, so that
the first one's reach ("we propose a network dubbed CutNet and a rule (CC)") hides no name from the
second."""


def introduced_names(text: str) -> tuple[str, ...]:
    """The names the paper's own words give its method in `text` (its abstract and first pages): its
    code is then "the source code of MDNet", though the title never says MDNet."""
    flat = _flat(text)
    matches = sorted((m for reading in INTRODUCED for m in reading.finditer(flat)), key=lambda m: m.start())
    found = [
        next(g for g in m.groups() if g)
        for m in matches
        # "a text recognizer called CRNN (Shi et al. 2015)": a name cited is another work's
        if not re.match(r"\s*(?:\[\d|\([^()]{0,80}?(?:19|20)\d\d)", flat[m.end() : m.end() + 90])
    ]
    return tuple(
        n for n in dict.fromkeys(found) if 3 <= len(n) <= 30 and n.lower() not in {*FRAMEWORK_NAMES, "sota"}
    )


def _references_start(page_texts: list[str]) -> tuple[int, int] | None:
    """(page index, offset) of the last References heading, where the reference list begins."""
    heading = re.compile(r"(?:^|\n)\s*(?:\d+\.?\s*)?(?:References|REFERENCES|Bibliography|BIBLIOGRAPHY)\s*\n")
    last = None
    for i, text in enumerate(page_texts):
        for match in heading.finditer(text):
            last = (i, match.start())
    return last


def _thanks_span(
    page_texts: list[str], refs: tuple[int, int] | None
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(start, end) of the acknowledgements: from their heading to the references (or the end)."""
    heading = re.compile(r"(?:^|\n)\s*(?:\d+\.?\s*)?(?:Acknowledge?ments?|ACKNOWLEDGE?MENTS?)\b")
    end = refs or (len(page_texts), 0)
    last = None
    for i, text in enumerate(page_texts):
        for match in heading.finditer(text):
            if (i, match.start()) < end:
                last = (i, match.start())
    return (last, end) if last else None


APPENDIX = re.compile(
    r"(?:^|\n)\s*(?:[A-Z]\.?\s+)?(?:Appendix|APPENDIX|Supplementary)"
    # or a lettered heading: the letter on a line of its own ("B" over "Experimental setup"), or
    # "A.1 Setup"; a reference's author initial is followed by a name and a comma, not by a heading
    r"|(?:^|\n)\s*[A-H](?:\.\d+)?\.?\s*\n\s*[A-Z][A-Za-z\- ,]{3,80}[A-Za-z]\s*\n"
    r"|(?:^|\n)\s*[A-H]\.\d+\.?\s+[A-Z][a-z]+(?: [a-z]+){0,8}\s*\n"
)
"""Where an appendix set after the reference list begins: an "Appendix" or "Supplementary" heading, or
a lettered section heading."""


def _appendix_start(page_texts: list[str], after: tuple[int, int]) -> tuple[int, int]:
    """(page index, offset) where the body goes on after the reference list (`after`: its start)."""
    for i in range(after[0], len(page_texts)):
        offset = after[1] if i == after[0] else 0
        match = APPENDIX.search(page_texts[i], offset)
        if match:
            return i, match.start()
    return len(page_texts), 0


def _front_end(page_texts: list[str]) -> int:
    """Offset in the first page where the body begins (the Introduction heading), else its end."""
    if not page_texts:
        return 0
    match = re.search(r"\n\s*(?:1\.?|I\.)?\s*(?:Introduction|INTRODUCTION)\b", page_texts[0])
    return match.start() if match else len(page_texts[0])


def find_code_links(
    page_texts: list[str],
    page_links: list[list[tuple[str, str]]] | None = None,
    *,
    front_page: bool = True,
    title: str = "",
) -> list[CodeLink]:
    """Repository URLs with their role, official mark and evidence, one per repository, in order.

    `page_texts`: the text of each page (lines by newlines, layout blocks by a blank line).
    `page_links`: per page, the link annotations as (URI, the text around the link). With
    `front_page`, page 1 up to the Introduction is the paper's front matter (title, authors, abstract,
    footnotes). `title`: the paper's title, whose method name may be the subject of the sentence that
    gives its code."""
    texts = [_rejoin_urls(t) for t in page_texts]
    refs = _references_start(texts)
    front = "\n\n".join(texts[: refs[0] if refs else 2][:2])  # the abstract and the introduction
    names = tuple(dict.fromkeys((*(title_names(title) if title else ()), *introduced_names(front))))
    refs_end = _appendix_start(texts, refs) if refs else None
    thanks = _thanks_span(texts, refs)
    front_end = _front_end(texts) if front_page else -1
    found: list[CodeLink] = []
    for i, text in enumerate(texts):
        uris = [uri for uri, _ in page_links[i]] if page_links and i < len(page_links) else []
        for match in REPO_URL.finditer(text):
            sentence, context, role, official = _read_link(
                text, i, match.group(0), match.start(), match.end(), front_end, refs, refs_end, names, thanks
            )
            url = _annotated(match.group(0), text[match.end() : match.end() + 60], uris)
            folder = bool(
                re.match(r"/(?:tree|blob|wiki)/|/[\w.\-]+/[\w.\-]", text[match.end() : match.end() + 40])
            )
            found.append(_link(url, context, role, official, i + 1, _framework(sentence), folder=folder))
        taken = [m.span() for m in REPO_URL.finditer(text)]
        found += _other_pages(text, i, front_end, refs, refs_end, taken, names, thanks)
        in_text = {link_key(link.url) for link in found if link.page == i + 1}
        for uri, around in page_links[i] if page_links else []:
            at = _locate(text, around)
            if not REPO_URL.match(uri) and link_key(uri) not in in_text and _may_be_code_page(uri):
                role, official = classify_link(
                    around,
                    front=i == 0 and at <= front_end,
                    in_references=_inside(refs, refs_end, i, at if at <= len(text) else 0),
                    names=names,
                )
                if thanks and _inside(*thanks, i, at) and not FIRST_PERSON.search(around):
                    continue  # a page the acknowledgements name: someone else's
                zoo = bool(NOT_CODE_HOSTS.match(uri))  # a framework's model zoo: only on "our models are in"
                if role == "own" and _says_code(around) and (not zoo or _claims_as_ours(around)):
                    found.append(_link(uri, around, role, official, i + 1, None))
                continue
            if REPO_URL.match(uri) and link_key(uri) not in in_text:
                refs_here = _inside(refs, refs_end, i, at if at <= len(text) else 0)
                role, official = classify_link(
                    around, front=i == 0 and at <= front_end, in_references=refs_here, names=names
                )
                if thanks and _inside(*thanks, i, at) and role in ("own", "mention"):
                    role, official = ("own", official) if FIRST_PERSON.search(around) else ("others", False)
                found.append(_link(uri, around or f"link on page {i + 1}", role, official, i + 1, None))
    links = _repository_first(merge_code_links(found))
    return [_named_as_method(_aside(link, title, names), names) for link in links][:50]


GENERIC_WORDS = frozenset(
    "a an and the of for in on with via from to by as at is are towards toward using based beyond "
    "learning deep neural network networks net nets model models image images data new large scale "
    "efficient fast simple study analysis approach method methods training trained".split()
)
"""Title words too common to tie a repository to the paper."""


def _name_words(text: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)  # camelCase: "DualityGap" -> "Duality Gap"
    words = {w for w in re.findall(r"[a-z0-9]+", spaced.lower()) if len(w) >= 3}
    return words - GENERIC_WORDS


def _aside(link: CodeLink, title: str, names: tuple[str, ...]) -> CodeLink:
    """A link the paper only names (no sentence says whose it is), after its first page, to a
    repository whose name shares nothing with the paper's title or method names: named in passing (a
    tool used for a demo), not offered as the paper's code. One named like the paper stays a mention
    (papers often give their code only as a bare footnote)."""
    name = repo_name(link.url)
    if link.role != "mention" or (link.page or 1) <= 1 or name is None:
        return link
    ours = _name_words(title) | {w for n in names for w in _name_words(n)}
    squashed = {n.lower().replace(" ", "").replace("-", "") for n in names}
    repo = name.split("/")[-1]
    flat = re.sub(r"[\-_.]", "", repo.lower())
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", title.lower()))  # "Data-efficient Image
    # Transformers" -> "deit": a repository named by the title's acronym
    acronym = len(flat) >= 3 and flat.isalpha() and flat in initials
    if _name_words(repo) & ours or any(n and n in flat for n in squashed) or acronym:
        return link
    return link.model_copy(update={"role": "aside"})


def _squashed(name: str) -> str:
    return re.sub(r"[^a-z0-9+]", "", name.lower())  # "UNet++" is not "unet"


def _named_as_method(link: CodeLink, names: tuple[str, ...]) -> CodeLink:
    """A repository named exactly as the paper's method (`Swin-Unet: ...` and `github.com/lab/Swin-Unet`)
    is the paper's code, whatever the sentence around it reads like: a citation or "based on" beside
    it says whose ideas the method uses, not whose code that is. Left unofficial: the paper's words
    did not say so."""
    port = re.search(
        r"\b(?:port(?:ed)?|re-?implementation|unofficial|third[- ]party|by others)\b", link.evidence, re.I
    )
    name = repo_name(link.url) if link.role in ("others", "dependency") and not port else None
    wanted = {_squashed(n) for n in names if len(_squashed(n)) >= 3}
    if name is None or _squashed(name.split("/")[-1]) not in wanted:
        return link
    return link.model_copy(update={"role": "own", "official": False})


def _locate(text: str, around: str) -> int:
    """Where the words around a link annotation sit in the page's text (line breaks and spaces may
    differ); past the page's end when they cannot be found, so the link is not read as front matter."""
    words = around.split()[:8]
    if not words:
        return len(text) + 1
    match = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return match.start() if match else len(text) + 1


def _annotated(url: str, after: str, uris: list[str]) -> str:
    """The link annotation's exact address for a URL the text shows broken: cut at a line's end
    (`github.com/lab/cut` + newline + `net`), hyphenated by the line break (`deep-` + `lines`), or with
    an underscore the text lost (`Tiiiger/bert score` for `Tiiiger/bert_score`). `after`: the text
    that follows the URL on the page."""
    bare = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.rstrip(".,;:)")).lower().rstrip("/")
    for uri in uris:
        match = REPO_URL.match(uri)
        if not match or link_key(uri) == link_key(url):
            continue
        other = re.sub(r"^(?:https?://)?(?:www\.)?", "", match.group(0)).lower().rstrip("/")
        cut = after[:1] in ("\n", "") and other.startswith(bare) and len(bare.split("/")) >= 2
        rest = other[len(bare) :] if other.startswith(bare) and len(bare.split("/")) >= 2 else ""
        lost = re.fullmatch(r"_[\w.\-]+", rest) and after.lower().startswith(" " + rest[1:])
        if cut or lost or other.replace("-", "") == bare.replace("-", ""):
            return match.group(0)
    return url


HUB_LISTING = re.compile(r"https?://(?:www\.)?huggingface\.co/(?:models|spaces|datasets)?(?:[/?#]|$)", re.I)
"""The Hugging Face hub's own listings (`huggingface.co/models?filter=deberta`), not a model's repository."""


def _shared(url: str) -> bool:
    """A framework's repository or the hub's listing: a place that also carries the paper's models."""
    return bool(TOOLKIT_REPOS.search(url) or HUB_LISTING.match(url))


def _repository_first(links: list[CodeLink]) -> list[CodeLink]:
    """When the paper names its own repository on a code host (official), that repository is its code;
    a lab or project page it also gives, or a framework's repository or the hub's listing that also
    carries its models ("also available at HuggingFace Transformers: <repo>, <hub listing>"), stays
    listed, after it and not official."""
    if not any(link.official and REPO_URL.match(link.url) and not _shared(link.url) for link in links):
        return links
    pages = [
        link for link in links if link.role == "own" and (not REPO_URL.match(link.url) or _shared(link.url))
    ]
    rest = [link for link in links if link not in pages]
    return rest + [link.model_copy(update={"official": False}) for link in pages]


def _says_code(sentence: str) -> bool:
    """The sentence names code or models (not only a project page, a dataset or a page: a project
    page that does not say it holds code is not code)."""
    return bool(
        re.search(
            r"\b(?:codes?|implementations?|models?|software|repository|source|open[- ]?sourced?)\b"
            r"|(?<![A-Za-z./])(?:git[hl]ub|bitbucket)\b(?!\.\w)",  # "1GitHub:", not "lab.github.io"
            sentence,
            re.I,
        )
    )


NAMED_CODE = re.compile(
    r"\b(?:the|an?)\s+(?:open|open-source|public|publicly available|official|original|released)\s+"
    r"([A-Z][\w\-]*?)(\d{0,2})\s+(?:implementation|code|model|release)s?\b"
)
"""`the open FaceNet² implementation`: a named work's code, spoken of as a thing the paper takes (the
digits may be the footnote's mark or the end of the name: `YOLOv3`)."""
FRAMEWORK_NAMES = {*FRAMEWORKS, "caffe", "chainer", "theano", "paddlepaddle"}
"""A framework's "official implementation" is the framework's code of the method, not another work's."""


def _named_others_code(note: str, names: tuple[str, ...]) -> bool:
    """A footnote's sentence speaks of another work's released code by its name, not the paper's own
    method ("a structure similar to the open FaceNet² implementation")."""
    return any(
        found.group(1) not in names
        and found.group(1) + found.group(2) not in names
        and found.group(1).lower() not in FRAMEWORK_NAMES
        for found in NAMED_CODE.finditer(note)
    )


def _read_link(
    text: str,
    page: int,
    found: str,
    start: int,
    end: int,
    front_end: int,
    refs: tuple[int, int] | None,
    refs_end: tuple[int, int] | None,
    names: tuple[str, ...] = (),
    thanks: tuple[tuple[int, int], tuple[int, int]] | None = None,
) -> tuple[str, str, str, bool]:
    """How the paper gives the link `found` at `start:end` of page `page` (0-based): its sentence, the
    context it is judged on (a footnote's text, then the sentence), and its role and officialness."""
    raw = _sentence(text, start, end)
    sentence = _flat(raw)
    if re.match(r"(?:It|This|They|These)\s+(?:is|are|was|were|will|can|has|have)\b", sentence):
        # "We provide an open-source implementation of our method. It is available at <url>"
        at = text.rfind(raw[:30], 0, start + 30)
        previous = _flat(_sentence(text, at - 2, at - 1)) if at > 1 else ""
        theirs = DEPENDENCY.search(previous) or OTHER_WORK.search(previous)  # "we use the X of Ren et al."
        if FIRST_PERSON.search(previous) and _says_code(previous) and not theirs:
            sentence = f"{previous} {sentence}"
    note = _flat(_footnote_context(text, start))
    head = sentence[: sentence.find(found)] if found in sentence else sentence
    context = f"{note}\n{sentence}".strip()  # a footnote that opens on its mark stays one ("\n1The code")
    # a mark after a full stop ("... is used.1") hangs the footnote on the whole sentence, not on a work
    # it names: a footnote that says "Code is available at" is then the paper's own
    whole = bool(re.search(r"[.!?][\d*†‡§¶]{1,2}$", note)) and bool(CODE_SUBJECT.search(sentence))
    # a mark on the paper's own method ("to implement our method2, and use ... [16]") hangs the footnote
    # on that method: the footnote is judged on its own words, not on the works the note also cites
    digit = re.match(r"\s*([\d*†‡§¶]{1,2})", sentence)
    ours = bool(digit and CODE_SUBJECT.search(sentence) and _our_thing_marked(note, digit.group(1)))
    if _name_marked(sentence, note, names) and not (
        DEPENDENCY.search(sentence) or OTHER_WORK.search(sentence) or OTHERS_VOICE.search(sentence)
    ):
        # the mark sits on the paper's method's name: the footnote gives that method's code or page
        return sentence, context, "own", False
    if note and not whole and not ours and not FIRST_PERSON.search(note) and not CODE_SUBJECT.search(note):
        # the footnote's mark sits on "we use a pretrained X¹" or "X [5]¹": the footnote's link is X's,
        # whatever the footnote says ("¹The pretrained model is available at <url>")
        if DEPENDENCY.search(note):
            return sentence, context, "dependency", False
        if OTHER_WORK.search(note) or OTHERS_VOICE.search(note) or _named_others_code(note, names):
            return sentence, context, "others", False
    between = _since_last_link(head)
    if between is not None and not _claims(between) and not _says_code(between):
        # a second link of the sentence ("our code is at A, built on B [3]") is judged on its own words
        if DEPENDENCY.search(between) or OTHER_WORK.search(between) or len(between.split()) > 3:
            role, official = classify_link(
                between, front=False, in_references=_inside(refs, refs_end, page, start)
            )
            return sentence, f"{note} {between}".strip(), "mention" if role == "own" else role, False
    role, official = classify_link(
        context,
        front=page == 0 and start <= front_end,
        in_references=_inside(refs, refs_end, page, start),
        before=head if ours else f"{note} {head}",
        names=names,
        title_note=page == 0 and bool(re.match(r"[\d*†‡§¶]{1,2}\s?\S", sentence)),
    )
    if (
        thanks
        and _inside(*thanks, page, start)
        and role in ("own", "mention")
        and not FIRST_PERSON.search(context)
    ):
        role, official = "others", False  # the acknowledgements name code of others ("we thank X for")
    return sentence, context, role, official


def _since_last_link(head: str) -> str | None:
    """The words between the sentence's previous web address and this one; None for its first."""
    ends = [m.end() for m in re.finditer(r"(?:https?://|www\.)\S+|\b(?:bit\.ly|goo\.gl|git\.io)/\S+", head)]
    return head[ends[-1] :] if ends else None


def _other_pages(
    text: str,
    page: int,
    front_end: int,
    refs: tuple[int, int] | None,
    refs_end: tuple[int, int] | None,
    taken: list[tuple[int, int]],
    names: tuple[str, ...] = (),
    thanks: tuple[tuple[int, int], tuple[int, int]] | None = None,
) -> list[CodeLink]:
    """Web addresses outside the code hosts that the paper gives as its own code: a lab page, a
    personal page, a short link ("Code and models: http://lab.example.edu/~me/net"). Any other use
    of such an address (a dataset, a framework's site, a cited page) is not a code link at all."""
    found = []
    for match in OTHER_URL.finditer(text):
        if any(a <= match.start() < b for a, b in taken) or not _may_be_code_page(match.group(0)):
            continue
        if re.match(r"(?:https?://)?(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)\b", match.group(0)):
            continue
        url = match.group(0).rstrip(".,;:)")
        sentence, context, role, official = _read_link(
            text,
            page,
            match.group(0),
            match.start(),
            match.start() + len(url),
            front_end,
            refs,
            refs_end,
            names,
            thanks,
        )
        first_person = (
            bool(FIRST_PERSON.search(context))
            or bool(CODE_SUBJECT.search(context))
            or _names_subject(context, names)
            or _name_marked(sentence, context[: -len(sentence)] if context.endswith(sentence) else "", names)
        )
        framework_page = bool(NOT_CODE_HOSTS.match(match.group(0)))  # a model zoo: "our models are in"
        if (
            role == "own"
            and first_person
            and _page_says_code(sentence, url, context)
            and (not framework_page or _claims_as_ours(context))
        ):
            if not url.lower().startswith("http"):
                url = f"http://{url}"
            found.append(_link(url, context, role, official, page + 1, _framework(sentence)))
    return found


def _page_says_code(sentence: str, url: str, context: str) -> bool:
    """A page outside the code hosts holds code when the words that give it say so: before it and
    after it up to the sentence's end ("See <url> for our code"), not a figure caption the text runs
    on into ("Project page: <url> Figure 1: ... a pre-trained model"); a bare address in a footnote
    is judged on the sentence its mark sits on (the rest of `context`)."""
    at = sentence.find(url[:25])
    head = sentence[:at] if at >= 0 else sentence
    tail = sentence[at + len(url) :] if at >= 0 else ""
    tail = re.split(r"\b(?:Figure|Fig\.|Table)\s*\d|[.!?](?:\s|$)", tail, maxsplit=1)[0]
    if _says_code(f"{head} {url} {tail}"):  # the address's own words count ("/software/", "/code/")
        return True
    bare = not re.sub(r"^[\d*†‡§¶\s]+", "", head).strip()
    note = context[: -len(sentence)] if context.endswith(sentence) else ""
    return bare and _says_code(note)


MODEL_ZOO = re.compile(r"model[ _\-]?(?:zoo|garden|hub)|/models?(?:[/._#?]|$)", re.IGNORECASE)
"""A framework's page of models (a model zoo, a model garden): a paper's models may live there."""


def _may_be_code_page(url: str) -> bool:
    """Whether a web address can hold a paper's code: not a preprint, publisher, dataset or framework
    page, except a framework's model zoo (which the paper may say holds its models)."""
    return not NOT_CODE_HOSTS.match(url) or bool(MODEL_ZOO.search(url.split("/", 3)[-1]))


def _claims(context: str) -> bool:
    """The sentence says the code or models are the paper's ("our code", "Code is available at")."""
    return bool(FIRST_PERSON.search(context) or CODE_SUBJECT.search(context))


def _claims_as_ours(context: str) -> bool:
    """The sentence claims the code or models for the paper in its own voice ("Our models are in the
    model zoo at"): what lets a framework's repository or model zoo be the paper's code."""
    return _claims(context) and bool(re.search(r"(?<![A-Za-z])(?:our|we)\b", context, re.IGNORECASE))


TOOLKIT_REPOS = re.compile(
    r"github\.com/(?:tensorflow/tensorflow|pytorch/(?:pytorch|vision|fairseq)|keras-team/keras|BVLC/caffe|"
    r"apache/(?:incubator-)?mxnet|NVIDIA/apex|huggingface/transformers|google/jax|open-mmlab/mm\w+|"
    r"facebookresearch/(?:detectron2?|fairseq)|Theano/Theano|chainer/chainer|numpy/numpy|scikit-learn/"
    r"scikit-learn|opencv/opencv|NVIDIA/TensorRT|Tencent/(?:ncnn|TNN)|alibaba/MNN|microsoft/onnxruntime|"
    r"onnx/[\w.\-]+|apache/(?:incubator-)?tvm|openvinotoolkit/[\w.\-]+|PaddlePaddle/Paddle-?Lite|"
    r"NVIDIA/TensorRT-LLM|ggerganov/llama\.cpp|vllm-project/vllm|NVIDIA-AI-IOT/[\w.\-]+|"
    r"triton-inference-server/[\w.\-]+|NVIDIA/FasterTransformer|XiaoMi/mace|OAID/Tengine|google/XNNPACK|"
    r"apple/coremltools|Xilinx/Vitis-AI|tensorflow/(?:tflite-micro|tfjs|serving)|pytorch/(?:serve|glow|"
    r"executorch)|microsoft/DeepSpeed|(?:AlexeyAB|pjreddie)/darknet|ultralytics/(?:ultralytics|yolov\d))"
    r"(?:[/#?]|$)",
    re.IGNORECASE,
)
"""Frameworks, toolkits and inference libraries: a paper that links one uses it (to train, or to
deploy its detector); it is not the paper's own code unless the paper says its code is there."""


def _link(
    url: str,
    context: str,
    role: str,
    official: bool,
    page: int,
    framework: str | None,
    *,
    folder: bool = False,
) -> CodeLink:
    # a framework's repository is a dependency, unless the paper says its own code is there (a model
    # garden or zoo: "our models are available at github.com/tensorflow/models/..."), or gives it as
    # its code pointing into a folder of it (`folder`: ".../Detectron/blob/master/projects/GN")
    url = url.rstrip(".,;)")
    if (
        TOOLKIT_REPOS.search(url)
        and role != "reference"
        and not (role == "own" and (official or folder or _claims_as_ours(context)))
    ):
        role, official = "dependency", False
    return CodeLink(
        url=url,
        framework=framework,
        evidence=" ".join(context.split())[:400],
        role=role,  # type: ignore[arg-type]
        official=official,
        page=page,
    )


def _inside(start: tuple[int, int] | None, end: tuple[int, int] | None, page: int, pos: int) -> bool:
    if start is None or end is None:
        return False
    return start <= (page, pos) < end


def repo_name(url: str) -> str | None:
    """`owner/name` of a repository URL (GitHub, GitLab, Hugging Face), or None for a bare owner."""
    match = re.match(r"https?://(?:www\.)?[^/]+/([\w.\-]+)/([\w.\-]+)", url)
    if not match:
        return None
    return f"{match.group(1)}/{match.group(2).removesuffix('.git')}".lower()


def _bare(url: str) -> str:
    """The address without scheme, `www.` and a closing slash, in lower case (`lab.example.edu/~me/net`)."""
    return re.sub(r"^(?:https?://)?(?:www\.)?", "", url.strip()).rstrip("/").lower()


def link_key(url: str) -> str | None:
    """What identifies a code link: `owner/name` on a code host; elsewhere the address itself, bare."""
    bare = _bare(url)
    if bare.split("/")[0] in CODE_HOSTS:
        return repo_name(url)
    return bare or None


def merge_code_links(links: list[CodeLink]) -> list[CodeLink]:
    """One link per repository, in first-seen order; the strongest role, official mark and framework
    hint of its mentions win. A bare owner (`github.com/lab`) or a URL cut at a hyphen joins the full
    repository link of the paper that continues it, else it is dropped, unless the paper gives it as
    its code (an organisation holding the paper's repositories: "Code is available at
    github.com/HRNet")."""
    urls = [link.url for link in links]
    merged: dict[str, CodeLink] = {}
    for link in links:
        url = _complete(link.url, urls, link.evidence)
        key = link_key(url)
        if key is None and link.role == "own" and _says_code(link.evidence):  # "Code is at github.com/HRNet"
            key = _bare(url)
        if key is None:
            continue
        if url != link.url:
            link = link.model_copy(update={"url": url})
        merged[key] = _stronger(merged[key], link) if key in merged else link
    return list(merged.values())


def _complete(url: str, urls: list[str], evidence: str = "") -> str:
    """The paper's full URL for one cut short: a bare owner, a name cut at `-`, `_` or `.`, or a name
    whose `_` the text set as a space (the abstract's "github.com/lab/pointpillars backbone" where the
    PDF's link reads `pointpillars_backbone`)."""
    if REPO_URL.match(url) and repo_name(url) is not None and url[-1:] not in "-_.":
        flat = " ".join(evidence.split()).lower()
        for other in urls:
            rest = other[len(url) :]
            spaced = re.fullmatch(r"[_\-]([\w.\-]+)", rest) and f"{url} {rest[1:]}".lower() in flat
            if other.lower().startswith(url.lower()) and spaced:
                return other
        return url
    if not REPO_URL.match(url):
        return url
    stem = url.lower() if url[-1:] in "-_./" else url.lower() + "/"
    longer = [u for u in urls if u.lower().startswith(stem) and len(u) > len(stem) and repo_name(u)]
    return longer[0] if longer else url


def _stronger(known: CodeLink, link: CodeLink) -> CodeLink:
    best = known if ROLE_RANK[known.role] <= ROLE_RANK[link.role] else link
    evidence = known.evidence if link.evidence in known.evidence else f"{known.evidence} | {link.evidence}"
    return CodeLink(
        url=known.url,
        framework=known.framework or link.framework,
        evidence=evidence[:1000],
        role=best.role,
        official=known.official or link.official,
        page=min((p for p in (known.page, link.page) if p is not None), default=None),
    )


def read_citations(
    page_texts: list[str],
) -> tuple[list[Reference], dict[str, int], dict[str, NameUse]]:
    """Split the reference list into entries and find arXiv ids and titles in each; with how often
    the body names each model-like word and how its sentences use them (`name_counts`).

    `page_texts`: per page, layout blocks separated by blank lines, lines by newlines. Of several
    "References" headings (appendices have their own), the one that yields the most entries wins.
    """
    joined = "\n\n".join(page_texts)
    heading = r"(?:^|\n)\s*(?:\d+\.?\s*)?(?:References|REFERENCES|Bibliography|BIBLIOGRAPHY)\s*\n"
    best: list[Reference] = []
    body = joined
    for match in list(re.finditer(heading, joined))[-3:]:
        refs = _split_references(joined[match.end() :])
        if len(refs) >= len(best):
            best, body = refs, joined[: match.start()]
    return (count_citations(body, best[:500]), *name_counts(body))


_NAME = re.compile(r"(?<![\w-])[A-Za-z][A-Za-z0-9]*(?:[-‐][A-Za-z0-9]+)*(?:[ -]?[vV]\d(?!\w))?")


def name_key(name: str) -> str:
    """`ResNet-101`, `MobileNet V2`, `Inception-v3` -> `resnet101`, `mobilenetv2`, `inceptionv3`."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


_NUMBER = re.compile(r"(?<!\S)[.,%±×x+\-()/MGKB]*\d[\d.,%±×x+\-()/MGKB]*(?!\S)")
"""A word that is a number, however written (`25.6M`, `4.1G`, `(76.2)`, `±0.3`)."""


def _prose(line: str) -> bool:
    """A line of running text, not a table's row or cell nor a figure's label: five words at least,
    fewer than two in five of them numbers (`ResNet-50 25.6M 4.1G 76.2`)."""
    words = len(line.split())
    return words >= 5 and len(_NUMBER.findall(line)) * 5 < words * 2


def _running_text(body: str) -> str:
    """The body's lines of running text (`_prose`): tables and figure labels left out."""
    return "\n".join(line for line in body.splitlines() if _prose(line))


_MODEL_LIKE = re.compile(r".[A-Z]|\d")


def _model_words(text: str) -> list[tuple[int, str]]:
    """The model-like words of `text`, where each starts and its `name_key`: a capital after the first
    letter, or letters with digits (`AlexNet`, `GAN`, `VGG-16`, `Inception-v3`); not plain numbers."""
    found = []
    for match in _NAME.finditer(text):
        word = match.group(0)
        if len(word) < 3 or not _MODEL_LIKE.search(word):
            continue
        key = name_key(word)
        if not key.isdigit():
            found.append((match.start(), key))
    return found


BACKBONE_WORDS = re.compile(r"backbone|pre-?trained|feature extractor|base network|ImageNet", re.IGNORECASE)
"""A sentence that runs a network as a backbone or a pretrained feature extractor."""
DERIVED_WORDS = re.compile(
    r"modif|replac|inspired|follow|based on|variant|extend|build|built|similar to|like\b|style\b|adopt|"
    r"design|block|unit\b|module|structure|idea",
    re.IGNORECASE,
)
"""A sentence that changes or reuses a network's design ("we modify the residual block", "a variant
of", "MobileNet-like", "inspired by")."""


def name_counts(body: str) -> tuple[dict[str, int], dict[str, NameUse]]:
    """Model-like words of the body's running text (`_model_words`, by `name_key`): how often each
    appears, and how many sentences name it, of which how many also speak of a backbone
    (`BACKBONE_WORDS`) or of changing its design (`DERIVED_WORDS`).
    Tables are left out: a paper that compares with ResNet-50 row after row does not build on it. The
    parents model reads the sentences: a network the paper only runs on is named beside "backbone" and
    "pretrained", one it is derived from beside "block" and "modify"."""
    text = _running_text(body)
    ends = [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]
    counts: dict[str, int] = {}
    uses: dict[str, NameUse] = {}
    sentence, begin = 0, 0
    named: set[str] = set()

    def close() -> None:  # the sentence `text[begin:ends[sentence]]` names `named`
        if not named:
            return
        around = " ".join(text[begin : ends[sentence]].split())  # "based\non" is "based on"
        backbone, derived = bool(BACKBONE_WORDS.search(around)), bool(DERIVED_WORDS.search(around))
        for key in named:
            use = uses.setdefault(key, NameUse())
            use.sentences += 1
            use.backbone += backbone
            use.derived += derived
        named.clear()

    for at, key in _model_words(text):
        counts[key] = counts.get(key, 0) + 1
        while at >= ends[sentence]:
            close()
            begin = ends[sentence]
            sentence += 1
        named.add(key)
    close()
    return dict(sorted(counts.items())), dict(sorted(uses.items()))


_DESIGN = r"(?:\w+ ){0,3}(?:architecture|design|network|framework)"
BUILDS_ON_WORDS = re.compile(
    r"\b(?:we|our)\b[^.;]{0,80}?(?<![\w-])(?:base[sd]?\b[^.;]{0,40}?\bon|build(?:s|ing)? (?:up)?on|"
    rf"built (?:up)?on|extend(?:s|ed|ing)?|follow(?:s|ed|ing)? (?:the )?{_DESIGN}|inspired by|"
    rf"adopt(?:s|ed)? the {_DESIGN}|modif(?:y|ies|ied))\b",
    re.IGNORECASE,
)
"""The paper, in its own voice, building on a cited work: not "we use X as the backbone"."""
_SENTENCE_END = re.compile(r"(?<!\bal)(?<!\be\.g)(?<!\bi\.e)(?<!\bFig)(?<!\bEq)(?<!\bvs)\.\s+(?=[A-Z])")


def count_citations(body: str, refs: list[Reference]) -> list[Reference]:
    """How often the body cites each reference: `[3]`, `[2, 5-7]` for numbered lists, else the first
    author's surname next to a year or "et al." (author-year styles). A work cited often is one the
    paper builds on; one cited once in the related work is background. Each reference also keeps the
    first sentence that cites it in the paper's own voice of building on it (`BUILDS_ON_WORDS`)."""
    if not refs:
        return refs
    own_voice = [s for s in _SENTENCE_END.split(" ".join(body.split())) if BUILDS_ON_WORDS.search(s)]
    if _CITATION.search(body):
        counts, builds = _numbered_citations(body, len(refs), own_voice)
    else:
        counts, builds = _author_year_citations(body, refs, own_voice)
    return [
        r.model_copy(update={"cited": c, "builds_on": b})
        for r, c, b in zip(refs, counts, builds, strict=True)
    ]


_CITATION = re.compile(r"\[(\d{1,3}(?:\s*[,–-]\s*\d{1,3})*)\]")
"""A numbered citation: `[3]`, `[2, 5-7]`."""


def _numbered_citations(body: str, n: int, own_voice: list[str]) -> tuple[list[int], list[str | None]]:
    """Citations of a numbered reference list: how often each of the `n` is cited, and the first
    sentence of `own_voice` that cites it."""
    counts = [0] * n
    builds: list[str | None] = [None] * n
    for group in _CITATION.findall(body):
        for number in _expand(group):
            if 1 <= number <= n:
                counts[number - 1] += 1
    for sentence in own_voice:
        for group in _CITATION.findall(sentence):
            for number in _expand(group):
                if 1 <= number <= n and builds[number - 1] is None:
                    builds[number - 1] = sentence.strip()[:300]
    return counts, builds


def _author_year_citations(
    body: str, refs: list[Reference], own_voice: list[str]
) -> tuple[list[int], list[str | None]]:
    """Citations in an author-year style: the first author's surname next to a year or "et al."."""
    counts = [0] * len(refs)
    builds: list[str | None] = [None] * len(refs)
    for i, ref in enumerate(refs):
        surname = re.match(r"\s*(?:[A-Z]\.\s*)*([A-Z][A-Za-z\-'’]+)", ref.text)
        if surname and len(surname.group(1)) >= 3:
            name = re.escape(surname.group(1))
            cites = re.compile(rf"\b{name}\b(?:\s+et al\.?|\s+and\s+\w+)?,?\s*\(?(?:19|20)\d\d")
            counts[i] = len(cites.findall(body))
            builds[i] = next((s.strip()[:300] for s in own_voice if cites.search(s)), None)
    return counts, builds


def _expand(group: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*,\s*", group):
        bounds = [int(x) for x in re.split(r"\s*[–-]\s*", part) if x.isdigit()]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] < 30:
            numbers += range(bounds[0], bounds[1] + 1)
        elif bounds:
            numbers.append(bounds[0])
    return numbers


def _split_references(tail: str) -> list[Reference]:
    end = re.search(r"\n\s*(?:[A-Z]\.?\s+)?(Appendix|APPENDIX|Supplementary)", tail)
    if end:
        tail = tail[: end.start()]
    if re.match(r"\s*\[1\]", tail):  # numbered style: [1] ... [2] ...
        parts = re.split(r"(?:^|\n)\s*\[\d+\]\s*", tail)
    elif re.match(r"\s*1\.\s+\S", tail):  # Springer LNCS: "1. He, K., Zhang, X.: Deep residual ..."
        parts = _numbered_with_dots(tail)
    else:
        parts = _merge_broken(tail.split("\n\n"))  # one layout block per entry (author-year styles)
    refs = []
    for part in parts:
        text = clean_reference(part)
        if len(text) < 20:
            continue
        arxiv = ARXIV_REF.search(text)
        refs.append(
            Reference(text=text[:1000], arxiv=arxiv.group(1) if arxiv else None, title=reference_title(text))
        )
    return refs


def _numbered_with_dots(tail: str) -> list[str]:
    """Entries of a list numbered `1.`, `2.`, ... at line starts; a line that starts with another
    number (a volume, a page range broken across lines) continues the entry before it."""
    starts = []
    expected = 1
    for match in re.finditer(r"(?:^|\n)\s*(\d{1,3})\.\s+(?=\S)", tail):
        if int(match.group(1)) == expected:
            starts.append((match.start(), match.end()))
            expected += 1
    ends = [start for start, _ in starts[1:]] + [len(tail)]
    return [tail[begin:end] for (_, begin), end in zip(starts, ends, strict=True)]


def clean_reference(text: str) -> str:
    """One reference as running text: ligatures unfolded, line-end hyphens undone (`recog- nition`)."""
    import unicodedata

    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"(?<=[a-z])-\s*\n\s*(?=[a-z])", "", text)
    text = " ".join(text.split())
    return re.sub(r"(?<=[a-z]{2})- (?=[a-z]{2})", "", text)


def _merge_broken(blocks: list[str]) -> list[str]:
    """Join blocks that continue an entry (split by a column or page break)."""
    merged: list[str] = []
    for block in (b.strip() for b in blocks):
        if not block:
            continue
        if merged and (merged[-1].rstrip()[-1:] not in ".?!)" or block[:1].islower()):
            merged[-1] = f"{merged[-1]} {block}"
        else:
            merged.append(block)
    return merged


_REF_SPLIT = re.compile(r"(?<=[A-Za-z0-9)\]][a-z0-9)\]])[.?]\s+(?=[A-Z\"“(]|arXiv)")


def reference_title(text: str) -> str | None:
    """The title inside one reference: a quoted string, else the segment after the authors."""
    quoted = re.search(r"[“\"]([^”\"]{10,300})[”\"]", text)
    if quoted:
        return quoted.group(1).strip(" ,.")
    segments = [s.strip() for s in _REF_SPLIT.split(text) if s.strip()]
    if len(segments) >= 2:
        candidate = re.sub(r"^\(?\d{4}[a-z]?\)?\.?\s*", "", segments[1]).strip(" ,.")
        if len(candidate.split()) >= 2 and not re.match(r"^(In|Proc|arXiv|CoRR|URL)\b", candidate):
            return candidate[:300]
    return None
