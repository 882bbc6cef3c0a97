"""Which new papers belong in the tree: a ranker that a curator can read and that learns from them.

A paper's score for a topic is `sigmoid(rule + learned)`:

- `rule`: readable features written from the curator's rule (README, "What makes a paper tree-worthy"):
  a new model or training method, not a dataset, benchmark, survey, study, challenge report, metric,
  data pipeline, add-on around someone else's model, or attack/defence; evaluated on general benchmarks,
  not one application domain; the task's standard setting, not one defined by a data condition; and
  on-topic evidence from the topic's own task words. Each feature has a prior weight.
- `learned`: a linear model over word uni/bigrams (scikit-learn's CountVectorizer, arXiv's tokenization:
  "OCR-Reasoning" is `ocr reasoning`) and the same rule features, fitted by L2-regularised logistic
  regression *on top of* the rule (the rule is the offset): tree entries and approved papers are
  positives, rejected papers and held-back papers the curator left are negatives. With no decisions the
  learned part is zero and the rule alone ranks, so a topic without entries still works.

Every score carries its evidence: the features and words that moved it most, and the nearest entries.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..models import CatalogEntry, Topic

# --- tokens ---------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lowercase words as arXiv's search splits them: on every non-alphanumeric, hyphens included."""
    return _WORD.findall(text.lower())


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word


_STOP = set(
    "a an the and or of for with to in on by at as is are be we our this that from via its their it "
    "which these those into over under using based can not but all any each such both also than then".split()
)


def tokens(text: str) -> list[str]:
    """Words for the learned model: arXiv's split, plural -s removed, stop words dropped."""
    return [_stem(w) for w in words(text) if w not in _STOP]


def _joined(text: str) -> str:
    return " " + " ".join(words(text)) + " "


def entry_text(entry: CatalogEntry) -> str:
    return " ".join([entry.name, entry.title, entry.abstract, entry.notes])


# --- the curator's rule as readable features --------------------------------------------------------


@dataclass(frozen=True)
class Feature:
    """A readable feature: a name, what it means, a prior weight, and the word patterns that fire it
    (matched on arXiv-split words, so `few shot` matches "few-shot"), in the title or the abstract."""

    name: str
    label: str
    weight: float
    title: str = ""
    abstract: str = ""

    def fires(self, title: str, abstract: str) -> str:
        """The words that fired it ("" when it does not fire)."""
        for pattern, text in ((self.title, title), (self.abstract, abstract)):
            if pattern:
                found = re.search(rf" (?:{pattern}) ", text)
                if found:
                    return found.group(0).strip()
        return ""


def _any(*parts: str) -> str:
    return "|".join(parts)


_NOUN_DATA = r"(?:datasets?|benchmarks?|corpus|corpora)"
_DOMAINS = _any(
    # medicine and biology
    r"medical|medicine|clinical|patients?|patholog\w*|histolog\w*|histopatholog\w*|whole slide|x ray|"
    r"chest|mri|ct|ct scans?|ultrasound|retina\w*|oct|fundus|dermat\w*|skin lesions?|cancer|tumou?rs?|"
    r"lesions?|alzheimer\w*|brain|oncolog\w*|polyps?|surgical|endoscop\w*|radiolog\w*|covid|cells?|"
    r"microscop\w*|dental|organs?|biomedical|mammogra\w*|diagnos\w*|disease\w*",
    # the earth seen from above
    r"remote sensing|satellites?|aerial|hyperspectral|multispectral|sar|earth observation|uavs?|drones?|"
    r"airborne",
    # agriculture and nature
    r"agricultur\w*|crops?|plants?|fruits?|leaf|leaves|weeds?|forests?|livestock|soil|wildlife|animals?",
    # water, industry, space, science
    r"underwater|sonar|maritime|ships?|marine|vessels?|industrial|defects?|manufactur\w*|"
    r"inspection|steel|orbit|spacecraft|astronom\w*|simulations?|physic\w*|rocks?|"
    r"materials?|nanoparticles?|molecul\w*|proteins?|micro ct",
    # sensors and hardware niches
    r"infrared|thermal|event cameras?|event based|spik\w*|neuromorphic|quantum|radar",
    # not images at all, or one script
    r"audio|speech|music|time series|urdu|arabic|bangla|bengali|hindi|devanagari|handwrit\w*|"
    r"historical|manuscripts?|fonts?|sign language",
)
_CONDITIONS = _any(
    r"few shot|one shot|low shot|noisy labels?|label noise|long tail\w*|imbalanc\w*|",
    r"domain adapt\w*|domain generali\w*|cross domain|unsupervised domain|source free|",
    r"semi supervised|weakly supervised|pseudo labels?|partial labels?|",
    r"continual|incremental|lifelong|test time adapt\w*|test time|federated|",
    r"tiny objects?|small objects?|adverse weather|low light|low quality|low resolution|",
    r"active learning|label efficient|camouflaged",
).replace("||", "|")


FEATURES: tuple[Feature, ...] = (
    # what kind of contribution
    Feature(
        "dataset",
        "a dataset or benchmark, not a model",
        -2.5,
        title=rf"{_NOUN_DATA}|bench",
    ),
    Feature(
        "dataset-abstract",
        "also builds a dataset or benchmark",
        -1.0,
        abstract=rf"(?:introduce|present|propose|release|construct|collect|build|curate)\w* "
        rf"(?:\w+ ){{0,4}}{_NOUN_DATA}",
    ),
    Feature(
        "survey",
        "a survey or review",
        -3.0,
        title=r"survey|review|overview|tutorial|advances in|advancements in",
        abstract=r"this (?:survey|review)|we (?:review|survey)|comprehensive (?:survey|review|overview)",
    ),
    Feature(
        "study",
        "an empirical study or analysis",
        -2.0,
        title=r"a study|study on|studies|empirical|comparative|comparison|analysis of|evaluating|"
        r"evaluation of|investigat\w*|how do|how does|unveil\w*|insights?|lessons|case study",
        abstract=r"we (?:study|investigate|analy[sz]e|compare|examine|explore whether)|"
        r"(?:empirical|comparative|case|systematic|extensive) (?:study|analysis|evaluation|comparison)",
    ),
    Feature(
        "challenge",
        "a challenge or technical report",
        -3.0,
        title=r"challenge|technical report|competition|workshop|solution to",
        abstract=r"technical report|(?:our|the) solution (?:to|for) the",
    ),
    Feature(
        "metric",
        "an evaluation metric or protocol",
        -2.0,
        title=r"metrics?|evaluation protocol|measure",
    ),
    Feature(
        "pipeline",
        "a data pipeline, data selection or augmentation",
        -2.0,
        title=r"data (?:extraction|processing|generation|pruning|selection|augmentation|curation)|"
        r"dataset pruning|sampling strateg\w*|pseudo labels? generation|labels? generation|annotation|"
        r"pipeline|augmentation",
        abstract=r"data (?:pruning|selection|curation) |label (?:cleaning|identification)",
    ),
    Feature(
        "add-on",
        "an add-on around existing models (fine-tuning, prompting, explaining)",
        -1.5,
        title=r"fine tun\w*|parameter efficient|peft|lora|adapter|plug and play|training free|in context|"
        r"test time augmentation|ensemble|adapting|leveraging|off the shelf|explain\w*|explanation\w*|"
        r"interpretab\w*",
        abstract=r"training free|without (?:any )?(?:re)?training|parameter efficient fine tuning",
    ),
    Feature(
        "attack",
        "an attack or defence (security, privacy, forensics)",
        -3.0,
        title=r"attacks?|adversarial (?:patch\w*|examples?|perturbation\w*)|defen[cs]e\w*|malicious|purif\w*|"
        r"backdoor\w*|privacy|forensic\w*|forgery|deepfakes?|watermark\w*|jailbreak\w*|spoof\w*|"
        r"ai generated|encrypt\w*",
    ),
    # one application domain vs general benchmarks
    Feature("domain", "one application domain (title)", -2.5, title=_DOMAINS),
    Feature("domain-abstract", "one application domain (abstract)", -0.8, abstract=_DOMAINS),
    Feature(
        "general-benchmarks",
        "evaluated on general-purpose benchmarks",
        1.2,
        abstract=r"imagenet\w*|coco|ms coco|ade20k|ade|cityscapes|pascal|voc|lvis|cifar\w*|celeba\w*|ffhq|"
        r"lsun|icdar\w*|total text|ctw1500|lfw|megaface|ijb \w|nyu|sun rgb d|mapillary|objects365|"
        r"open images|places365|kinetics|mscoco|coco stuff|imagenet 1k|imagenet 21k|ms1m\w*|cfp fp|agedb",
    ),
    # the task's standard setting vs a data condition
    Feature("condition", "a setting defined by a data condition (title)", -2.5, title=_CONDITIONS),
    Feature("condition-abstract", "a data-condition setting (abstract)", -0.6, abstract=_CONDITIONS),
    Feature(
        "mainstream-variant",
        "a mainstream variant (real-time, open-vocabulary, multi-modal)",
        0.8,
        title=r"real time|open vocabulary|open world|open set|multi modal|multimodal|any modal|rgb x|"
        r"universal",
    ),
    # what the paper is: a new model or method
    Feature(
        "new-method",
        "proposes a model, module or training method",
        1.0,
        abstract=r"(?:we|this paper|this work) (?:\w+ ){0,2}(?:propose|introduce|present|design|develop)\w* "
        r"(?:\w+ ){0,8}(?:network|architecture|module|block|layer|attention|backbone|neck|head|transformer|"
        r"loss|regulari[sz]\w*|detector|segmenter|encoder|decoder|generator|discriminator|model|method|"
        r"framework|mechanism)s?",
    ),
    Feature(
        "named-method",
        "the title names a method (Name: ...)",
        0.5,
        title=r"^ ?\w+(?: \w+){0,3}",  # refined in `rule_features`: only before a colon
    ),
    # another topic's job
    Feature(
        "3d",
        "3D detection or point-cloud segmentation (the 3d topic)",
        -2.5,
        title=r"point clouds?|point sets?|lidar|bev|voxel\w*|3d (?:object|semantic|instance|panoptic|scene)|"
        r"3d detect\w*|3d segment\w*|4d radar",
    ),
    Feature(
        "other-task",
        "another task (generation, retrieval, question answering, re-identification, compression)",
        -2.0,
        title=r"synthesis|generation|generating|retrieval|question answering|vqa|reasoning|re identification|"
        r"compression|anomaly detection|captioning|tracking",
    ),
)
_TOPIC_FEATURES = (
    "topic-title",
    "topic-abstract",
    "off-query-title",
    "short-abstract",
    "off-parent",
    "means-only",
)
"""The features that weigh a paper against one topic's own words, after the rule's FEATURES."""
FEATURE_NAMES = [f.name for f in FEATURES] + list(_TOPIC_FEATURES)
SHORT_ABSTRACT = 50
"""Words: an abstract shorter than this cannot show a contribution (one-line abstracts)."""
PRIOR_BIAS = -1.0
"""The prior logit of a paper nothing speaks for or against."""
TOPIC_TITLE = 1.5
TOPIC_ABSTRACT = 0.3
OFF_QUERY_TITLE = -2.0
OFF_PARENT = OFF_QUERY_TITLE
"""A subtopic's paper whose title and abstract have none of the parent topic's own words: the paper only
mentions the subtopic's words (an "efficient" language-image pre-training is no lightweight classifier).
Its title's topic words then count for nothing, and it weighs as a title without the topic's words does:
the same evidence, one level up (not tuned)."""

_GENERATIVE = re.compile(r"gan|generat|adversarial|synthes", re.I)
_QUERY_TERM = re.compile(r'\b(ti|abs|all):("[^"]*"|[^\s()]+)')


def topic_phrases(topic: Topic) -> tuple[list[str], list[str]]:
    """The topic's own task words, from its query: title phrases and abstract phrases (arXiv-split)."""
    title: list[str] = []
    abstract: list[str] = []
    for field_name, value in _QUERY_TERM.findall(topic.query):
        phrase = " ".join(words(value.strip('"')))
        if phrase:
            (title if field_name == "ti" else abstract).append(phrase)
    return title, abstract


def _phrase_hits(phrases: Iterable[str], text: str) -> list[str]:
    return [p for p in phrases if re.search(rf" {re.escape(p)}\w* ", text)]


_TASK_NOUNS = ("segmentation", "recognition", "detection", "classification", "estimation", "reconstruction")
_SAME_TASK = {"classification": {"recognition"}, "recognition": {"classification"}}


def _other_task_noun(topic: Topic, title: str) -> str:
    """A task noun in the title that none of the topic's own words has: the paper's task is another
    (a GAN used for segmentation is a segmentation paper)."""
    in_title, in_abstract = topic_phrases(topic)
    own = " ".join(in_title + in_abstract + words(topic.name_en))
    allowed = {n for n in _TASK_NOUNS if n in own}
    allowed |= {same for n in allowed for same in _SAME_TASK.get(n, ())}
    for noun in _TASK_NOUNS:
        if noun not in allowed and f" {noun} " in title:
            return noun
    return ""


def parent_of(topics: dict[str, Topic], topic: Topic) -> Topic | None:
    """The topic's parent in topics.yaml (None for a top-level topic)."""
    return topics.get(topic.parent) if topic.parent else None


def _is_name(head: str) -> bool:
    """A title's head before the colon is a method's name: one word ("AmorLIP", "Pura"), or words of
    which one is written as a name is (a capital or digit inside it: "VP Lab", "MAFE R-CNN"). A phrase
    ("Guiding the Experts", "Beyond Linearity") names no method."""
    parts = head.split()
    return len(parts) == 1 or any(re.search(r"\w[A-Z0-9]", part) for part in parts)


_MEANS_AFTER = (
    "based|enhanced|driven|guided|assisted|aided|powered|augmented|enabled|empowered|inspired|informed"
)
_MEANS_BEFORE = "using|leveraging|via|with|through|by"


def _only_as_means(phrases: Iterable[str], title: str) -> bool:
    """Every time the title says one of these phrases it names a means ("GAN-based ...", "... using
    GANs"), never the subject: English marks a tool this way, whatever the topic."""
    for phrase in phrases:
        for found in re.finditer(rf"(?<= )(\w+ )?{re.escape(phrase)}\w*(?= (\w+))?", title):
            before, after = (found.group(1) or "").strip(), found.group(2) or ""
            if not (re.fullmatch(_MEANS_BEFORE, before) or re.fullmatch(_MEANS_AFTER, after)):
                return False
    return True


def rule_features(topic: Topic, title: str, abstract: str, parent: Topic | None = None) -> dict[str, str]:
    """The readable features that fire for this paper and topic: name -> the words that fired it.
    `parent`: the topic's parent topic, whose task a subtopic's paper must also have."""
    t, a = _joined(title), _joined(abstract)
    fired = _word_features(topic, title, t, a)
    if len(a.split()) < SHORT_ABSTRACT:
        fired["short-abstract"] = f"{len(a.split())} words"
    fired.update(_topic_fit(topic, parent, t, a, other_task=fired.get("other-task")))
    return fired


def _word_features(topic: Topic, title: str, t: str, a: str) -> dict[str, str]:
    """The rule's FEATURES that fire, given the joined title `t` and abstract `a`."""
    fired: dict[str, str] = {}
    generative = bool(_GENERATIVE.search(topic.query + " " + topic.name_en))
    for feature in FEATURES:
        if feature.name == "named-method":
            head = title.split(":", 1)[0] if ":" in title else ""
            if head and len(head.split()) <= 3 and _is_name(head):
                fired[feature.name] = head.strip()
            continue
        if feature.name == "3d" and topic.id.split("/")[0] == "3d":
            continue
        hit = feature.fires(t, a)
        if feature.name == "other-task" and generative and hit in ("synthesis", "generation", "generating"):
            continue
        if feature.name == "other-task" and not hit:
            hit = _other_task_noun(topic, t)
        if hit:
            fired[feature.name] = hit
    return fired


def _topic_fit(
    topic: Topic, parent: Topic | None, t: str, a: str, *, other_task: str | None
) -> dict[str, str]:
    """The _TOPIC_FEATURES that fire: the topic's own words in the title or the abstract, as the
    paper's task or only as a means (`other_task`: the other task the title names), and the parent
    topic's task."""
    fired: dict[str, str] = {}
    in_title, in_abstract = topic_phrases(topic)
    title_hits = _phrase_hits(in_title + in_abstract, t)
    if title_hits and other_task and _only_as_means(title_hits, t):
        # "GAN-enhanced image compression", "face recognition leveraging GANs": the topic's words name the
        # means, the other task is the paper's task; as if the title had none of the topic's words
        fired["means-only"] = f"{', '.join(title_hits)} for {other_task}"
    elif title_hits:
        fired["topic-title"] = ", ".join(title_hits)
    else:
        fired["off-query-title"] = "the title has none of the topic's words"
    abstract_hits = _phrase_hits(in_title + in_abstract, a)
    if abstract_hits:
        fired["topic-abstract"] = ", ".join(abstract_hits)
    if parent is not None:
        up_title, up_abstract = topic_phrases(parent)
        if up_title + up_abstract and not _phrase_hits(up_title + up_abstract, t + a):
            # the subtopic's words in the title are a mention, not the paper's task: they count for
            # nothing, as if the title had none of the topic's words
            fired.pop("topic-title", None)
            fired["off-parent"] = f"none of {parent.id}'s words"
    return fired


_PRIOR = {f.name: f.weight for f in FEATURES} | {
    "topic-title": TOPIC_TITLE,
    "topic-abstract": TOPIC_ABSTRACT,
    "off-query-title": OFF_QUERY_TITLE,
    "short-abstract": -1.0,
    "off-parent": OFF_PARENT,
    "means-only": OFF_QUERY_TITLE,
}
_LABEL = {f.name: f.label for f in FEATURES} | {
    "topic-title": "the topic's task words in the title",
    "topic-abstract": "the topic's task words in the abstract",
    "off-query-title": "the topic's words only in the abstract",
    "short-abstract": "an abstract too short to show a contribution",
    "off-parent": "not a paper of the parent topic",
    "means-only": "the topic's words name only a means for another task (title)",
}


def prior_logit(fired: dict[str, str]) -> float:
    return PRIOR_BIAS + sum(_PRIOR[name] for name in fired)


# --- the learned part -------------------------------------------------------------------------------


@dataclass
class Example:
    """One training paper: its text for a topic, positive (belongs) or negative, and a weight."""

    topic: Topic
    title: str
    abstract: str
    positive: bool
    weight: float = 1.0
    source: str = ""
    matched: bool = True
    """Found through the topic's query (a nightly paper). Seed entries of the tree are not: their titles
    say nothing about the query's words and some have only notes, so the on-topic features and the
    abstract's length are left out for them."""
    parent: Topic | None = None
    """The topic's parent topic (see `rule_features`)."""


L2 = 1.0
"""The regulariser of the learned part: how much evidence it needs to move a score away from the rule."""
L2_RULE = 5.0
"""The rule's features move only on more evidence than single words do."""


def _ngrams(title: str, abstract: str) -> list[str]:
    out: list[str] = []
    for text in (title, abstract):
        toks = tokens(text)
        out += toks + [f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)]
    return sorted(set(out))


def _for_training(example: Example) -> dict[str, str]:
    fired = rule_features(example.topic, example.title, example.abstract, example.parent)
    if not example.matched:
        fired = {k: v for k, v in fired.items() if k not in _TOPIC_FEATURES}
    return fired


def fit(examples: Sequence[Example], l2: float = L2) -> dict[str, float]:
    """Weights of the learned part: word n-grams (`w:...`) and rule features (`f:...`), fitted by
    logistic regression with the rule's logit as offset. Empty when there is nothing to learn from
    (no negatives or no positives)."""
    if not any(e.positive for e in examples) or all(e.positive for e in examples):
        return {}
    import numpy as np
    from scipy.optimize import minimize
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize

    docs = [_ngrams(e.title, e.abstract) for e in examples]
    words_vec = CountVectorizer(analyzer=lambda d: d, binary=True, min_df=1)
    x_words = normalize(words_vec.fit_transform(docs).astype(float))
    fired = [_for_training(e) for e in examples]
    feats = CountVectorizer(analyzer=lambda d: d, binary=True, vocabulary=FEATURE_NAMES)
    x_feats = feats.transform([list(f) for f in fired]).astype(float)
    x = hstack([x_words, x_feats]).tocsr()
    offset = np.array([prior_logit(f) for f in fired])
    y = np.array([1.0 if e.positive else 0.0 for e in examples])
    weight = np.array([e.weight for e in examples])
    # balance the classes: a tree of old positives must not drown a few rejections
    for cls in (0.0, 1.0):
        mask = y == cls
        weight[mask] *= len(y) / (2 * weight[mask].sum())

    penalty = np.full(x.shape[1], l2)
    penalty[x_words.shape[1] :] = L2_RULE

    def loss(w: Any) -> tuple[float, Any]:
        z = offset + x @ w
        p = 1 / (1 + np.exp(-z))
        ll = weight * (np.logaddexp(0, z) - y * z)
        grad = x.T @ (weight * (p - y)) + penalty * w
        return float(ll.sum() + 0.5 * w @ (penalty * w)), grad

    result = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 200})
    names = [f"w:{n}" for n in words_vec.get_feature_names_out()] + [f"f:{n}" for n in FEATURE_NAMES]
    return {n: round(float(v), 5) for n, v in zip(names, result.x, strict=True) if abs(v) >= 1e-4}


# --- scoring ----------------------------------------------------------------------------------------


@dataclass
class Scored:
    """A score in [0, 1] with its evidence."""

    score: float
    evidence: list[str] = field(default_factory=list)
    """The features and words that moved the score most, signed: `-2.5 one application domain (medical)`."""
    nearest: list[str] = field(default_factory=list)
    """The topic's tree entries nearest to the paper."""

    def reason(self, n: int = 3) -> str:
        return "; ".join(self.evidence[:n]) or "no evidence either way"


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass
class Ranker:
    """Scores papers against topics: the rule, plus what was learned from the curator's decisions."""

    weights: dict[str, float] = field(default_factory=dict)
    entries: list[CatalogEntry] = field(default_factory=list)
    """The tree, for the nearest entries shown as evidence."""
    trained_on: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def train(cls, examples: Sequence[Example], entries: Sequence[CatalogEntry] = ()) -> Ranker:
        counts: dict[str, Any] = {
            "positives": sum(e.positive for e in examples),
            "negatives": sum(not e.positive for e in examples),
        }
        return cls(fit(examples), list(entries), counts)

    def explain(self, topic: Topic, title: str, abstract: str, parent: Topic | None = None) -> Scored:
        """The score of a paper for a topic, with its evidence. `parent`: the topic's parent topic
        (`parent_of`), whose task a subtopic's paper must also have."""
        fired = rule_features(topic, title, abstract, parent)
        parts: list[tuple[float, str]] = []
        for name, hit in fired.items():
            value = _PRIOR[name] + self.weights.get(f"f:{name}", 0.0)
            parts.append((value, f"{_LABEL[name]} ({hit})"))
        grams = _ngrams(title, abstract)
        norm = math.sqrt(len(grams)) or 1.0
        learned = [(self.weights[f"w:{g}"] / norm, g) for g in grams if f"w:{g}" in self.weights]
        z = PRIOR_BIAS + sum(v for v, _ in parts) + sum(v for v, _ in learned)
        strong = [(v, f"learned '{g}'") for v, g in learned if abs(v) >= 0.15]
        ranked = sorted(parts + strong, key=lambda p: -abs(p[0]))
        evidence = [f"{v:+.1f} {text}" for v, text in ranked if abs(v) >= 0.05]
        return Scored(round(_sigmoid(z), 3), evidence, self.nearest(topic, title, abstract))

    def nearest(self, topic: Topic, title: str, abstract: str, n: int = 3) -> list[str]:
        inside = [e for e in self.entries if e.topic == topic.id or e.topic.startswith(topic.id + "/")]
        mine = set(tokens(f"{title} {abstract}"))
        if not inside or not mine:
            return []
        sims = []
        for e in inside:
            theirs = set(tokens(entry_text(e)))
            if theirs:
                sims.append((len(mine & theirs) / math.sqrt(len(mine) * len(theirs)), e.id))
        return [i for s, i in sorted(sims, reverse=True)[:n] if s > 0.05]

    # --- the model file ---

    def save(self, path: Path) -> None:
        from ..catalog import atomic_write

        data = {"version": 1, "trained_on": self.trained_on, "weights": dict(sorted(self.weights.items()))}
        atomic_write(path, json.dumps(data, ensure_ascii=False, indent=0))

    @classmethod
    def load(cls, path: Path, entries: Sequence[CatalogEntry] = ()) -> Ranker | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(dict(data["weights"]), list(entries), dict(data.get("trained_on") or {}))
        except (OSError, ValueError, KeyError, TypeError):
            return None


# --- what the store holds -> training examples ---------------------------------------------------------


def examples_from(
    topics: dict[str, Topic],
    tree: Sequence[CatalogEntry],
    rejected: Sequence[CatalogEntry],
    held: Sequence[tuple[str, str, str]] = (),
    *,
    tree_weight: float = 0.5,
    held_weight: float = 0.5,
) -> list[Example]:
    """Training examples from the catalog: tree entries (positives, under their topic; seed entries
    count less than the curator's recent approvals), rejected papers and held-back papers the curator
    left (negatives). `held` is (topic id, title, abstract)."""
    out: list[Example] = []

    def topic_of(topic_id: str) -> Topic | None:
        while topic_id and topic_id not in topics:
            topic_id = topic_id.rpartition("/")[0]
        return topics.get(topic_id)

    for entry in tree:
        topic = topic_of(entry.topic)
        if topic is not None:
            # came through a topic's query and the ranking (approved from a draft), not the seed tree
            recent = "relevance" in (entry.provenance.get("suggestions") or {})
            weight = 1.0 if recent else tree_weight
            about = entry.abstract or f"{entry.name}. {entry.notes}"
            out.append(
                Example(
                    topic,
                    entry.title,
                    about,
                    True,
                    weight,
                    entry.id,
                    matched=recent,
                    parent=parent_of(topics, topic),
                )
            )
    for entry in rejected:
        topic = topic_of(entry.topic)
        # a rejected enrichment says its figures or Chinese were not good enough, not that its paper
        # is off the topic (the paper is in the tree): never a negative example
        if topic is not None and not entry.enriches():
            out.append(
                Example(
                    topic,
                    entry.title,
                    entry.abstract,
                    False,
                    1.0,
                    entry.arxiv or entry.id,
                    parent=parent_of(topics, topic),
                )
            )
    for topic_id, title, abstract in held:
        topic = topic_of(topic_id)
        if topic is not None:
            out.append(
                Example(topic, title, abstract, False, held_weight, "", parent=parent_of(topics, topic))
            )
    return out


@dataclass
class Scorer:
    """One topic's view of a Ranker: `score(text) -> (score, nearest entries)` (the earlier interface)."""

    ranker: Ranker
    topic: Topic

    @classmethod
    def for_topic(cls, topic: Topic, approved: list[CatalogEntry], rejected: list[CatalogEntry]) -> Scorer:
        topics = {topic.id: topic}
        examples = examples_from(
            topics,
            [e.model_copy(update={"topic": topic.id}) for e in approved],
            [e.model_copy(update={"topic": topic.id}) for e in rejected],
        )
        return cls(Ranker.train(examples, approved), topic)

    def score(self, text: str) -> tuple[float, list[str]]:
        title, _, abstract = text.partition(". ")
        scored = self.ranker.explain(self.topic, title, abstract or text)
        return scored.score, scored.nearest


# --- a night: ranked across topics, drafted within a budget --------------------------------------------

DRAFT_AT = 0.4
"""A paper scoring under this is held back even when the budget has room (a quiet night drafts fewer)."""
BUDGET = 3
"""Drafts a night when neither topics.yaml (`budget:`) nor `--budget` says otherwise."""


@dataclass
class Ranked:
    """One paper matched by one topic, scored, and what the night does with it."""

    arxiv_id: str
    topic: str
    scored: Scored
    action: str = "hold"  # "draft" | "hold"
    reason: str = ""
    title: str = ""


def _fit(row: Ranked) -> tuple[float, int, int]:
    """How well a paper fits a topic: its score, then how many of the topic's words its title has, then
    the more specific topic."""
    hits = next((e for e in row.scored.evidence if "task words in the title (" in e), "")
    return (row.scored.score, hits.count(",") + 1 if hits else 0, row.topic.count("/"))


def select(rows: Sequence[Ranked], budget: int | None = BUDGET, draft_at: float = DRAFT_AT) -> list[Ranked]:
    """Decide a night: each paper goes under the topic it scores best in (ties: the more specific topic,
    then the first listed), papers are ranked across topics, the best `budget` at or above `draft_at`
    are drafted; every other row is held back with its reason. Returns the rows, best first."""
    best: dict[str, Ranked] = {}
    for row in rows:
        here = best.get(row.arxiv_id)
        if here is None or _fit(row) > _fit(here):
            best[row.arxiv_id] = row
    order = sorted(best.values(), key=lambda r: (-r.scored.score, r.arxiv_id))
    drafted = 0
    for row in order:
        if row.scored.score < draft_at:
            row.reason = f"score {row.scored.score:.3f} under {draft_at}: {row.scored.reason()}"
        elif budget is not None and drafted >= budget:
            row.reason = (
                f"over the nightly budget of {budget} (score {row.scored.score:.3f}): {row.scored.reason()}"
            )
        else:
            row.action, drafted = "draft", drafted + 1
            row.reason = f"score {row.scored.score:.3f}: {row.scored.reason()}"
    for row in rows:
        chosen = best[row.arxiv_id]
        if row is not chosen:
            row.action = "hold"
            row.reason = (
                f"fits topic {chosen.topic} better ({chosen.scored.score:.3f} > {row.scored.score:.3f})"
                if chosen.topic != row.topic
                else row.reason
            )
    return sorted(rows, key=lambda r: (r.action != "draft", -r.scored.score, r.arxiv_id, r.topic))
