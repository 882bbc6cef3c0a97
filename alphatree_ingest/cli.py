"""The `alphatree` command: thin over the library and the flow. Heavy imports load per command."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # the heavy modules load lazily, in the commands that need them
    import datetime as dt

    from .catalog import Catalog, CatalogSnapshot
    from .config import Settings
    from .models import CatalogEntry, IngestRequest, RunSummary

EPILOG = {
    "ingest": "example: alphatree ingest --topic gan --since 2026-11-01 --max-papers 20",
    "extract": "example: alphatree extract paper.pdf --out figures/",
    "translate": 'example: alphatree translate "We propose a new GAN."  or  alphatree translate --file a.txt',
    "review": "example: alphatree review list; alphatree review approve 2401.01234",
    "publish": "example: alphatree publish   (writes site/index.md and one page per topic)",
    "serve": "example: PREFECT_API_URL=http://127.0.0.1:4200/api alphatree serve",
    "deploy": "example: alphatree deploy --pool alphatree   (then: prefect worker start --pool alphatree)",
    "path": "example: alphatree path stylegan --known gan,wgan   or   alphatree path --topic gan --known gan",
    "memory": "example: alphatree memory audit   (then: alphatree memory audit --repair)",
    "demo": "example: alphatree demo   or   alphatree demo --out /tmp/my-demo",
    "read": "example: alphatree read resnet   (then alphatree publish: site/read/resnet.md)",
    "model": "example: alphatree model pull --to models/opus-mt-en-zh; alphatree model check",
    "enrich": "example: alphatree enrich --topic classification   or   alphatree enrich resnet vgg",
    "add": "example: alphatree add 1506.01497 1612.03144 --topic detection",
}


class CliError(Exception):
    """One sentence for stderr. Exit status 2 for what the user can fix (bad input, missing tree,
    missing pool, no model); 1 for a run that started and failed."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


EXPECTED_ERROR = 2
CRON_HELP = "schedule of each topic (cron, UTC; default: %(default)s)"


def _catalog(settings: Settings) -> Catalog:
    """The tree's catalog. Raises CliError when the folder holds no tree (no catalog/topics.yaml)."""
    from .catalog import Catalog

    catalog = Catalog(settings.catalog_dir)
    if not (catalog.root / "topics.yaml").is_file():
        raise CliError(
            f"no AlphaTree tree in {settings.home} ({catalog.root / 'topics.yaml'} is missing); "
            "run in the tree's folder or set ALPHATREE_HOME"
        )
    return catalog


def _out_folder(value: str) -> Path:
    """A folder to write into; refuses an existing file and a place that cannot be created."""
    out = Path(value)
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {value} is a file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CliError(f"cannot create the folder {value}: {err.strerror or type(err).__name__}") from None
    return out


def _settings(**overrides: Any) -> Settings:
    from .config import Settings

    return Settings.from_env(**overrides)


def _since(args: argparse.Namespace) -> dt.date | None:
    """`--since` as a date, or None. Raises CliError with the expected form."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(args.since) if args.since else None
    except ValueError:
        raise CliError(f"--since must be a date such as 2026-11-01, not {args.since!r}") from None


def _run_ingest(
    settings: Settings, what: str, *, ask_ahead: IngestRequest | None = None, **params: Any
) -> int:
    """Load the model (one sentence if it cannot), run the ingest flow, print its summary; a run that
    stopped or failed is exit 1 with its sentence. With `ask_ahead` (a night of every topic) the flow
    loads the model only when a paper needs it (a night with nothing to draft never does) and the
    night's queries start at once (`prefetch`), once a missing model folder has been refused here."""
    from .models import RunSummary
    from .run.stages import get_translator

    if ask_ahead is None:
        print(f"Loading translation model {settings.mt_model} ...", file=sys.stderr)
        get_translator(settings)  # fails in one sentence, before Prefect starts
    else:
        from .mt.marian import MarianTranslator

        MarianTranslator(settings.mt_model, backend=settings.mt_backend).check_folder()
        _ask_ahead(settings, ask_ahead)  # arXiv is never asked for a run refused above
    print(f"Starting the ingest flow for {what} (Prefect) ...", file=sys.stderr)
    from flows.ingest import ingest

    state: Any = ingest(**params, return_state=True)
    summary = state.result(raise_on_failure=False) if state.is_failed() else None
    if isinstance(summary, RunSummary):
        _print_summary(summary)
        raise CliError(f"the ingest run stopped: {summary.run_fault}", code=1)
    if not state.is_completed():
        raise CliError(f"the ingest run failed: {state.message or state.name}", code=1)
    _print_summary(state.result(), _review_app(settings))
    return 0


def _request(args: argparse.Namespace) -> IngestRequest:
    """The run's IngestRequest from the flags, validated once; each problem in one sentence."""

    from pydantic import ValidationError

    from .models import IngestRequest

    since = _since(args)
    try:
        return IngestRequest(
            topic=None if args.all_topics else args.topic,
            since=since,
            max_papers=args.max_papers,
            min_relevance=args.min_relevance,
            budget=args.budget,
        )
    except ValidationError as err:
        first = err.errors()[0]
        flag = "--" + str(first["loc"][0]).replace("_", "-")
        raise CliError(f"{flag}: {first['msg']}") from None


def cmd_ingest(args: argparse.Namespace) -> int:

    if args.json and not args.dry_run:
        raise CliError("--json goes with --dry-run (a real run prints its summary)")
    if args.budget is not None and not args.all_topics:
        raise CliError(
            "--budget is the nightly budget of --all-topics; one topic drafts what passes its min_relevance"
        )
    request = _request(args)
    settings = _settings()
    settings.check_arxiv_politeness()
    if args.dry_run:
        return _dry_run(args, settings, request)
    if request.topic is None:
        _catalog(settings).topics()
        # only a night with something to draft loads the model; arXiv is asked while the run starts
        return _run_ingest(settings, "every topic", ask_ahead=request, **request.model_dump())
    _catalog(settings).topic(request.topic)
    return _run_ingest(settings, f"topic {request.topic}", **request.model_dump())


def _dry_run(args: argparse.Namespace, settings: Settings, request: IngestRequest) -> int:
    """Ask arXiv (politely, one limiter), rank, print; no PDF, no Prefect, nothing written."""
    import datetime as dt

    from .catalog import CatalogError
    from .discover.arxiv_source import ArxivSource, ArxivUnavailable, DiscoveryError, TransientError
    from .discover.harvest import start_of_harvest
    from .discover.night import as_json, as_table, budget_of, rank_night, ranker_for

    catalog = _catalog(settings)
    try:
        topics = sorted(catalog.topics()) if request.topic is None else [catalog.topic(request.topic).id]
        snapshot = catalog.load()
        states = {t: catalog.load_state(t) for t in topics}
    except CatalogError as err:
        raise CliError(str(err)) from None
    source = ArxivSource(settings)
    now = dt.datetime.now(dt.UTC)
    found = {}
    for n, topic in enumerate(topics, start=1):
        start = start_of_harvest(states[topic], request.since, now)
        print(
            f"[{n}/{len(topics)}] asking arXiv for {topic} since {start:%Y-%m-%d %H:%M} ...", file=sys.stderr
        )
        try:
            found[topic] = source.discover(
                snapshot.topics[topic].query, since=start, max_papers=request.max_papers
            ).papers
        except (ArxivUnavailable, DiscoveryError, TransientError) as err:
            raise CliError(f"arXiv could not be asked for topic {topic}: {err}", code=1) from None
    ranker = ranker_for(catalog, snapshot, save=False)
    budget = budget_of(catalog, request.budget) if request.topic is None else None
    draft_at = request.min_relevance
    if draft_at is None and request.topic is not None:  # as `ingest --topic T` itself: the topic's threshold
        draft_at = snapshot.topics[topics[0]].min_relevance or 0.0
    rows = rank_night(
        snapshot,
        ranker,
        found,
        states,
        budget=budget,
        **({"draft_at": draft_at} if draft_at is not None else {}),
    )
    print(as_json(rows) if args.json else as_table(rows))
    return 0


def _ask_ahead(settings: Settings, request: IngestRequest) -> None:
    """Start the night's arXiv queries now, politely, while Prefect's temporary server starts; the flow
    takes each answer it would have asked for (`prefetch`)."""
    import datetime as dt

    from .catalog import CatalogError
    from .discover.harvest import start_of_harvest
    from .run import prefetch

    catalog = _catalog(settings)
    try:
        topics = catalog.topics()
        now = dt.datetime.now(dt.UTC)
        queries = [
            (topics[t].query, start_of_harvest(catalog.load_state(t), request.since, now))
            for t in sorted(topics)
        ]
    except (CatalogError, OSError, ValueError):
        return  # the flow meets the same problem and names it
    prefetch.start(settings, queries, request.max_papers, now)


def _review_app(settings: Settings) -> str | None:
    """The base URL of `alphatree review serve` when it runs for this tree."""
    from .review.app import running_url

    return running_url(settings)


def _print_summary(summary: RunSummary, review_app: str | None = None) -> None:
    from .discover.harvest import FIRST_RUN_LOOKBACK

    if summary.first_run:
        print(
            f"First run of topic {summary.topic}: looked back to {summary.start:%Y-%m-%d} "
            f"({FIRST_RUN_LOOKBACK.days} days); use --since for older papers.",
        )
    print(
        f"\nTopic {summary.topic}: {summary.found} found, {len(summary.drafted)} drafted, "
        f"{len(summary.updated)} updated, {len(summary.flagged)} flagged, {len(summary.skipped)} skipped, "
        f"{len(summary.failed)} failed, {len(summary.owed)} owed "
        f"({summary.seconds} s, {summary.requests} arXiv API request(s) sent, retries included)."
    )
    if summary.watermark:
        print(
            f"Watermark {summary.watermark.isoformat()}: every paper changed before it is drafted, "
            "skipped for the reason listed, given up, or owed; the next run asks from there."
        )
    rows = [("drafted ", i.id, i.draft) for i in summary.drafted]
    rows += [("updated ", i.id, f"{i.draft}  ({i.note})") for i in summary.updated]
    rows += [("flagged ", i.id, i.reason) for i in summary.flagged]
    rows += [("skipped ", i.id, i.reason) for i in summary.skipped]
    rows += [("FAILED  ", i.id, i.reason) for i in summary.failed]
    rows += [("owed    ", i.id, i.reason) for i in summary.owed]
    for label, arxiv_id, text in rows:
        print(f"  {label} {arxiv_id}  {text}")
    for problem in summary.problems:
        print(f"  UNREADABLE {problem.path}: {problem.reason.splitlines()[0]}")
    if (summary.drafted or summary.updated) and review_app:
        from .review.app import review_url

        print(f"Next: review them in the browser ({review_app}/):")
        for item in summary.drafted + summary.updated:
            print(f"  {item.id:<12} {review_url(review_app, item.id)}")
    elif summary.drafted or summary.updated:
        print("Next: edit the drafts, then `alphatree review approve ID` (or `reject ID --reason R`).")


def cmd_extract(args: argparse.Namespace) -> int:
    from .pdf.extract import ExtractError, extract

    pdf = Path(args.pdf)
    if not pdf.is_file():
        raise CliError(f"{pdf} is not a file")
    with pdf.open("rb") as f:
        head = f.read(1024)
    if b"%PDF-" not in head:
        raise CliError(f"{pdf} is not a PDF (a PDF starts with %PDF-)")
    out = _out_folder(args.out) if args.out else None
    try:
        result = extract(pdf, out)
    except ExtractError as err:
        raise CliError(str(err)) from None
    # the JSON of DESIGN.md: the names and their uses are internal (the parents model reads them)
    shown = result.model_dump(mode="json", exclude={"names", "name_uses"})
    print(json.dumps(shown, ensure_ascii=False, indent=1))
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    from .mt.translate import TranslateStage
    from .run.stages import get_translator

    if args.file:
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except OSError as err:
            raise CliError(f"cannot read {args.file}: {err.strerror}") from None
    elif args.text is not None:
        text = args.text
    elif not sys.stdin.isatty():
        text = sys.stdin.read()
    else:
        raise CliError("give TEXT, --file F, or text on standard input")
    settings = _settings()
    _catalog(settings)  # its memory, glossary and model cache are the tree's, never the current folder's
    stage = TranslateStage.for_tree(get_translator(settings), settings)
    lines = text.splitlines()
    for line in stage.translate(lines):
        print(line)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from .review.gate import ReviewError

    settings = _settings()
    catalog = _catalog(settings)
    try:
        if args.action == "list" and args.held_back:
            _list_held(catalog)
        elif args.action == "list":
            _list(settings, catalog)
        elif args.action == "recover":
            return _recover(settings, args.id)
        elif args.action == "show":
            _show(catalog, args.id, _kept(settings))
        elif args.action == "serve":
            _serve_review(settings, args)
        else:
            reason = getattr(args, "reason", "") or ""
            _decide(settings, catalog, args.id, args.action, reason, read=not getattr(args, "no_read", False))
    except ReviewError as err:
        print(f"error: {err}.", file=sys.stderr)
        for problem in err.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXPECTED_ERROR
    return 0


def _kept(settings: Settings) -> frozenset[str]:
    """The glossary's kept terms (the gate does not count them as untranslated English)."""
    from .mt.glossary import Glossary

    try:
        return Glossary.load(settings.glossary_path).kept
    except ValueError as err:
        raise CliError(str(err)) from None


def _list(settings: Settings, catalog: Catalog) -> None:
    from .review.gate import queue

    snapshot = catalog.load()
    items = queue(catalog, snapshot, kept=_kept(settings))
    if not items and not snapshot.flags:
        print("No drafts waiting for review.")
    app = _review_app(settings)
    for item in items:
        topic = item.entry.topic if item.entry else "?"
        title = item.entry.title[:60] if item.entry else "(invalid draft)"
        flags = ", ".join(item.flags)
        score = f"{item.relevance:.2f}" if item.relevance >= 0 else "  - "
        print(f"{item.arxiv:<12} {topic:<20} {item.age_days:>3}d  {score}  {flags:<32} {title}")
        relevance = (
            ((item.entry.provenance.get("suggestions") or {}).get("relevance") or {}) if item.entry else {}
        )
        if relevance.get("evidence"):
            print(f"{'':<12} why: {'; '.join(relevance['evidence'][:3])[:150]}")
        for problem in item.problems:
            print(f"{'':<12} warning: {problem.splitlines()[0][:150]}")
        if app and item.entry is not None:
            from .review.app import review_url

            print(f"{'':<12} review: {review_url(app, item.arxiv)}")
    for flag in snapshot.flags:
        print(
            f"{flag.arxiv:<12} approved entry {flag.entry} has a new arXiv version v{flag.new_version} "
            f"(approved: v{flag.approved_version}); `alphatree review approve {flag.arxiv}` once seen"
        )


def _serve_review(settings: Settings, args: argparse.Namespace) -> None:
    """`alphatree review serve`: the review app until Ctrl-C."""
    from .review.app import serve

    _kept(settings)  # a broken glossary is said now, not on the first page
    try:
        serve(
            settings,
            args.host,
            args.port,
            read=not args.no_read,
            token=settings.review_token or None,
        )
    except OSError as err:
        raise CliError(
            f"cannot listen on {args.host}:{args.port} ({err.strerror or err}); try another --port"
        ) from None
    except KeyboardInterrupt:
        print("Review app stopped.", file=sys.stderr)


def _list_held(catalog: Catalog) -> None:
    from .discover.night import held_papers

    held = held_papers(catalog)
    if not held:
        print("No held-back papers.")
    for h in held:
        print(f"{h.arxiv:<12} {h.topic:<20} {h.seen}  {h.score:.2f}  {h.title[:70]}")
        print(f"{'':<12} {h.reason[:200]}")
    if held:
        print("Draft one with `alphatree review recover ID`.")


def _recover(settings: Settings, arxiv_id: str) -> int:
    from .discover.night import held_paper
    from .run.stages import get_translator

    if held_paper(_catalog(settings), arxiv_id) is None:
        raise CliError(
            f"{arxiv_id} is not among the held-back papers (see `alphatree review list --held-back`)"
        )
    settings.check_arxiv_politeness()
    print(f"Loading translation model {settings.mt_model} ...", file=sys.stderr)
    get_translator(settings)
    from flows.ingest import recover_held

    from .models import RunSummary

    state: Any = recover_held(arxiv_id, return_state=True)
    result = state.result(raise_on_failure=False)
    if not state.is_completed() or not isinstance(result, RunSummary):
        raise CliError(f"the recovery failed: {state.message or state.name}", code=1)
    _print_summary(result)
    if not result.drafted and not result.updated:
        raise CliError(f"{arxiv_id} was not drafted (see the reason above)", code=1)
    print("Ranker updated with this decision (catalog/ranker.json).")
    return 0


def _decide(
    settings: Settings,
    catalog: Catalog,
    arxiv_id: str,
    action: Literal["approve", "reject"],
    reason: str,
    *,
    read: bool,
) -> None:
    from .mt.memory import TranslationMemory
    from .review.gate import decide
    from .review.runs import settle

    memory = TranslationMemory(settings.memory_path)
    done = decide(
        catalog,
        arxiv_id,
        action,
        reviewer=settings.reviewer,
        reason=reason,
        memory=memory,
        kept=_kept(settings),
        prompts_dir=settings.prompts_dir,
    )
    settle(settings, done, lambda note: print(note, flush=True), reason)
    if action == "approve" and read:
        from .run.stages import reading_at_approval

        print(f"Making the Chinese reading page of {arxiv_id} ...", file=sys.stderr)
        print(reading_at_approval(settings, done.path, _print_progress)[1])


def _show(catalog: Catalog, arxiv_id: str, kept: frozenset[str]) -> None:
    from .review.gate import draft_for_show

    entry, problems = draft_for_show(catalog, arxiv_id, kept)
    enriches = entry.provenance.get("enriches") or {}
    if enriches:
        print(
            f"ENRICHMENT of tree entry {enriches.get('entry')} ({enriches.get('file')}): approval adds "
            f"only {', '.join(enriches.get('adds') or []) or 'nothing'}; the entry's own fields stay.\n"
        )
    print(f"{entry.name}  (arXiv {entry.arxiv}v{entry.version}, {entry.year})  id: {entry.id}")
    print(f"  EN  {entry.title}\n  ZH  {entry.title_zh}\n")
    print(f"  EN  {entry.abstract}\n\n  ZH  {entry.abstract_zh}\n")
    print(f"topic: {entry.topic}   level: {entry.level}   parents: {', '.join(entry.parents) or '-'}")
    for fig in entry.figures:
        mark = " <- diagram" if fig.file == entry.diagram else ""
        print(f"  figure {fig.file}{mark}\n    {fig.caption[:120]}\n    {fig.caption_zh[:120]}")
    for code in entry.code:
        print(
            f"  code {code.url} ({code.framework or 'framework unknown'}, "
            f"{'official' if code.official else 'unofficial'})"
        )
    print("gate: ready to approve" if not problems else "gate: " + "; ".join(problems))


def cmd_enrich(args: argparse.Namespace) -> int:
    """An enrichment draft for each tree entry that lacks a diagram, figures, Chinese abstract or code."""
    from .run.curate import run_enrich

    settings = _settings()
    _catalog(settings)
    return _curated(lambda say, out: run_enrich(settings, args.entries, args.topic, say, out))


def cmd_add(args: argparse.Namespace) -> int:
    """Drafts of known papers by arXiv id, whatever their date (the classics of a topic)."""
    from .run.curate import run_add

    settings = _settings()
    _catalog(settings)
    return _curated(lambda say, out: run_add(settings, args.ids, args.topic, say, out))


def _curated(run: Any) -> int:
    """Run enrich or add with progress on stderr, a line per paper and the summary on stdout; one
    sentence for a fault of the whole run. Exit 1 when a paper failed."""
    from .run.curate import CurateError

    def say(line: str) -> None:
        print(line, file=sys.stderr)

    def out(line: str) -> None:
        print(line, flush=True)

    try:
        report = run(say, out)
    except CurateError as err:
        raise CliError(str(err), code=err.code) from None
    print(f"\n{report.summary()[:1].upper()}{report.summary()[1:]}")
    if report.drafted:
        print("Next: `alphatree review list`, then review show / approve / reject each draft.")
    return 1 if report.failed else 0


def cmd_memory(args: argparse.Namespace) -> int:
    """Audit the translation memory: rows marked human that only repeat a model's output."""
    from .mt.memory import TranslationMemory

    settings = _settings()
    _catalog(settings)  # the memory is a tree's: outside one there is nothing to audit
    path = settings.memory_path
    memory = TranslationMemory(path)
    wrong = memory.audit()
    print(f"{path}: {len(memory)} sentence(s); {memory.skipped} unreadable line(s) skipped.")
    print(f"{len(wrong)} row(s) marked human repeat what a model wrote for the same sentence.")
    for row in wrong[:20]:
        print(f"  {row['source'][:70]}  ->  {row['target'][:40]}")
    if wrong and args.repair:
        print(f"Removed {memory.repair()} of them; the model's rows stay.")
    elif wrong:
        print("Run `alphatree memory audit --repair` to remove them.")
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    if args.action == "pull":
        return _model_pull(args)
    from .mt.glossary import Glossary
    from .mt.model_check import run
    from .run.stages import get_translator

    settings = _settings()
    _catalog(settings)  # the model's converted copy goes into the tree's cache/
    translator = get_translator(settings)
    print(f"Translating the bundled scientific sentences with {settings.mt_model} ...", file=sys.stderr)
    for line in run(translator, Glossary.load(settings.glossary_path)).lines():
        print(line)
    return 0


def _model_pull(args: argparse.Namespace) -> int:
    """Fetch a MarianMT model from the hub into a folder, check it loads, print the setting to use."""
    from .mt.marian import (
        WEIGHTS,
        MarianTranslator,
        ModelUnavailable,
        _hub_reachable,
        have_torch,
        missing_files,
    )

    settings = _settings()
    name = args.name or settings.mt_model
    if Path(args.to).is_dir() and any(Path(args.to).iterdir()):
        raise CliError(f"--to {args.to} is not empty; give a new folder")
    if not _hub_reachable(settings.hub_endpoint, name):
        raise CliError(
            f"cannot reach the Hugging Face hub at {settings.hub_endpoint} for {name}; run `alphatree model "
            "pull` on a machine that can, then copy the folder here"
        )
    out = _out_folder(args.to)
    from huggingface_hub import HfApi, snapshot_download

    files = set(HfApi(endpoint=settings.hub_endpoint).list_repo_files(name))
    weights = next((w for w in WEIGHTS if w in files), None)
    if weights is None:
        raise CliError(f"{name} has no {' or '.join(WEIGHTS)}; is it a MarianMT model?")
    wanted = ["config.json", "generation_config.json", "source.spm", "target.spm", "vocab.json"]
    wanted += ["tokenizer_config.json", "special_tokens_map.json", weights]
    print(f"Downloading {name} ({weights} and its tokenizer) into {out} ...", file=sys.stderr)
    snapshot_download(name, local_dir=out, allow_patterns=[f for f in wanted if f in files])
    missing = missing_files(out)
    if missing:
        raise CliError(f"the download lacks {', '.join(missing)}")
    if not have_torch():  # loading it here would convert it, which needs PyTorch
        print(f"{name} is in {out.resolve()}. Use it with:")
        print(f"export ALPHATREE_MT_MODEL={out.resolve()}")
        print(
            "Its first use converts it to CTranslate2 once, which needs PyTorch: "
            "pip install 'alphatree-ingest[convert]' (the README gives the CPU-only way)."
        )
        return 0
    try:
        MarianTranslator(str(out.resolve()), backend="transformers").load()
    except ModelUnavailable as err:
        raise CliError(str(err)) from None
    print(f"{name} is in {out.resolve()} and loads. Use it with:")
    print(f"export ALPHATREE_MT_MODEL={out.resolve()}")
    print("Then run `alphatree model check` and include its output in bug reports.")
    return 0


def _print_progress(done: int, total: int, what: str) -> None:
    print(f"[{done}/{total}] {what}", file=sys.stderr)


def cmd_read(args: argparse.Namespace) -> int:
    """论文一键翻译: the whole paper of a tree entry, in Chinese, sentence by sentence."""
    from .discover.arxiv_source import PdfError, TransientError
    from .pdf.extract import ExtractError
    from .run.stages import entry_pdf, make_reading

    settings = _settings()
    catalog = _catalog(settings)
    entry = next((e for e in catalog.load().entries if args.entry in (e.id, e.arxiv)), None)
    if entry is None:
        raise CliError(f"no entry {args.entry!r} in the tree (give its id or arXiv id)")
    if not entry.arxiv and not args.pdf:
        raise CliError(f"{entry.id} has no arXiv id; give its PDF with --pdf")
    try:
        pdf = Path(args.pdf) if args.pdf else entry_pdf(settings, entry, download=True)
    except (PdfError, TransientError) as err:
        raise CliError(f"cannot fetch the PDF of {entry.arxiv}: {err}") from None
    try:
        made = make_reading(settings, entry, pdf, progress=_print_progress)
    except ExtractError as err:
        raise CliError(str(err)) from None
    for path in made.paths:
        print(path)
    print(f"{made.summary()}. `alphatree publish` puts the pages under site/read/.")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from collections import Counter

    from .catalog import write_pages
    from .site.assets import AssetError, mermaid
    from .site.publish import PublishError, render_site

    settings = _settings()
    snapshot = _catalog(settings).load()
    out = _out_folder(args.out or str(settings.site_dir))
    try:
        script = mermaid(settings, say=lambda line: print(line, file=sys.stderr))
    except AssetError as err:
        raise CliError(str(err)) from None
    if script.note:
        print(f"note: {script.note}", file=sys.stderr)

    def warn(line: str) -> None:
        print(f"warning: {line}", file=sys.stderr)

    try:
        pages = render_site(snapshot, out, settings.prompts_dir, settings.site_url, script.script, warn)
    except PublishError as err:
        raise CliError(f"nothing published: {err}") from None
    try:
        done = write_pages(pages)
    except OSError as err:
        raise CliError(f"cannot write the site into {out}: {err.strerror or type(err).__name__}") from None
    for path, how in done.items():
        if how != "unchanged":
            print(f"{how:<8} {path}")
    counts = Counter(done.values())
    print(
        f"Published {len(pages)} page(s) into {out}: {counts['new']} new, {counts['changed']} changed, "
        f"{counts['unchanged']} unchanged."
    )
    for problem in snapshot.problems:
        if "/tree/" in problem.path:
            print(f"warning: left out, does not parse: {problem.reason.splitlines()[0]}", file=sys.stderr)
    return 0


def _path_steps(
    args: argparse.Namespace, snapshot: CatalogSnapshot, known: frozenset[str]
) -> list[CatalogEntry]:
    """The steps `alphatree path` prints: to an entry, or a topic's plan. Raises CliError."""
    from .site.learning import path_to, topic_plan

    if args.entry and args.topic:
        raise CliError("give an entry id or --topic, not both")
    if args.entry:
        try:
            return path_to(args.entry, snapshot.entries, known)
        except KeyError:
            raise CliError(
                f"no entry {args.entry!r} in the tree (ids are file names in catalog/tree/)"
            ) from None
    if not args.topic:
        raise CliError("give an entry id, or --topic T [--level beginner|advanced]")
    if args.topic not in snapshot.topics:
        raise CliError(f"unknown topic {args.topic!r}")
    steps = topic_plan(args.topic, args.level, snapshot.entries, known)
    if not steps and not known:
        raise CliError(f"topic {args.topic} has no {args.level or ''} entries yet".replace("  ", " "))
    return steps


def cmd_path(args: argparse.Namespace) -> int:
    from .site.learning import path_to
    from .site.publish import LEVELS
    from .site.titles import short_name, subtitle_zh

    settings = _settings()
    snapshot = _catalog(settings).load()
    entries = snapshot.entries
    known = _known(args.known, entries)
    steps = _path_steps(args, snapshot, known)
    if not steps and args.topic:  # a topic whose every entry the reader knows
        print(f"You know every {args.level or ''} entry of {args.topic} already.".replace("  ", " "))
        return 0
    for n, e in enumerate(steps, start=1):
        level = LEVELS.get(e.level or "", "—")
        links = [f"https://arxiv.org/abs/{e.arxiv}"] if e.arxiv else []
        links += [c.url for c in e.code if c.framework == "pytorch"][:1]
        print(f"{n}. {short_name(e.name)}（{e.year}，{level}）{subtitle_zh(e.name, e.title_zh)}")
        if links:
            print(f"   {' · '.join(links)}")
    if known and args.entry:
        skipped = len(path_to(args.entry, entries)) - len(steps)
        if skipped:
            print(f"({skipped} step(s) skipped: what you know, and what only that needed)")
    return 0


def _known(given: str | None, entries: list[CatalogEntry]) -> frozenset[str]:
    """The entries the reader knows, from `--known a,b` (ids, or names as the tree spells them)."""
    by_name = {e.name.lower(): e.id for e in entries} | {e.id: e.id for e in entries}
    known: set[str] = set()
    for word in (given or "").split(","):
        word = word.strip()
        if not word:
            continue
        if word.lower() not in by_name and word not in by_name:
            raise CliError(f"--known: no entry {word!r} in the tree (ids are file names in catalog/tree/)")
        known.add(by_name.get(word, by_name.get(word.lower(), word)))
    return frozenset(known)


def _schedules(args: argparse.Namespace) -> list[Any]:
    from prefect.schedules import Cron

    settings = _settings()
    settings.check_arxiv_politeness()  # the schedules will ask arXiv every night
    topics = list(_catalog(settings).topics())
    chosen = args.topic or topics
    unknown = [t for t in chosen if t not in topics]
    if unknown:
        raise CliError(f"unknown topic(s): {', '.join(unknown)}")
    if not args.topic:  # one night of every topic, ranked across topics within the budget
        return [Cron(args.cron, timezone="UTC")]
    return [Cron(args.cron, timezone="UTC", parameters={"topic": t}) for t in chosen]


def cmd_deploy(args: argparse.Namespace) -> int:
    """Register ingest/nightly and review/review in a work pool; its workers run them."""
    from flows.ingest import ingest
    from flows.review import review

    root = Path(__file__).resolve().parent.parent
    schedules = _schedules(args)
    _check_pool(args.pool)
    _check_model()
    for flow, name, entry, sched in (
        (ingest, "nightly", "flows/ingest.py:ingest", schedules),
        (review, "review", "flows/review.py:review", []),
    ):
        source: Any = flow.from_source(source=str(root), entrypoint=entry)
        source.deploy(
            name=name,
            work_pool_name=args.pool,
            schedules=sched,
            build=False,
            push=False,
            print_next_steps=False,
        )
        print(f"Deployed {flow.name}/{name} to work pool {args.pool}")
    print(f"Start workers with: prefect worker start --pool {args.pool}")
    return 0


def _check_pool(pool: str) -> None:
    """Raises CliError unless a Prefect server is configured and has the work pool."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    api = _prefect_api()
    if not api:
        raise _no_server("deploy")
    try:
        with get_client(sync_client=True) as client:
            client.read_work_pool(pool)
    except ObjectNotFound:
        raise CliError(
            f"work pool {pool!r} does not exist on {api}; create it with: "
            f"prefect work-pool create {pool} --type process"
        ) from None
    except Exception as err:  # the server is down or refuses us: one sentence, no traceback
        raise CliError(f"cannot reach the Prefect server at {api} ({type(err).__name__}: {err})") from None


def _prefect_api() -> str | None:
    """The Prefect server's API: PREFECT_API_URL, or the active Prefect profile's."""
    from prefect.settings import get_current_settings

    return _settings().prefect_api_url or get_current_settings().api.url


def _no_server(command: str, *, temporary_flag: bool = False) -> CliError:
    """Without a server, Prefect would start a temporary one whose deployments and schedules vanish
    when the command ends: refused in one sentence."""
    return CliError(
        f"{command} needs a Prefect server: set PREFECT_API_URL (e.g. http://127.0.0.1:4200/api)"
        + (
            ", or add --temporary to serve from a temporary server whose schedules end with this command"
            if temporary_flag
            else ""
        )
    )


def _check_server(api: str) -> None:
    """Raises CliError unless the Prefect server at `api` answers."""
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            failed = client.api_healthcheck()
    except Exception as err:  # refused on connect: one sentence, no traceback
        failed = err
    if failed is not None:
        raise CliError(f"cannot reach the Prefect server at {api} ({type(failed).__name__}: {failed})")


def cmd_demo(args: argparse.Namespace) -> int:
    import tempfile

    from .mt.marian import have_torch
    from .run import demo

    if not have_torch():
        raise CliError(
            "the demo builds a tiny MarianMT model with PyTorch, which is not installed; "
            "pip install 'alphatree-ingest[convert]' (the README gives the CPU-only way)"
        )
    tree = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="alphatree-demo-"))
    if tree.exists() and not tree.is_dir():
        raise CliError(f"--out {tree} is a file; give a new folder")
    if tree.is_dir() and any(tree.iterdir()):
        raise CliError(f"--out {tree} is not empty; give a new folder")
    try:
        result = demo.run(tree, say=lambda line: print(line, file=sys.stderr))
    except (FileNotFoundError, FileExistsError) as err:
        raise CliError(str(err)) from None
    summary = result.summary
    print(f"\nDemo finished in {result.seconds:.0f} s, offline. Everything is in {tree}:")
    for item in summary.drafted:
        print(f"  draft    {item.draft}   ({item.title})")
    figures = sorted((tree / "catalog" / "figures").rglob("*.png"))
    print(f"  figures  {tree / 'catalog' / 'figures'}  ({len(figures)} PNGs)")
    print(f"  site     {tree / 'site' / 'index.md'}  ({len(result.site)} pages, from the seed tree)")
    print(
        "The Chinese in these drafts is meaningless: the demo's model is a tiny untrained one built a "
        "minute ago. With the real model (Helsinki-NLP/opus-mt-en-zh) the same run writes real Chinese."
    )
    print(f"Try: cd {tree} && alphatree review list   (then review show / approve / reject)")
    print("The tree remembers its model in alphatree.env: approving there makes a reading page too.")
    return 0


def _check_model() -> None:
    """Load the translation model once now: a schedule whose every run would fail on it is refused."""
    from .run.stages import get_translator

    get_translator(_settings())


def cmd_serve(args: argparse.Namespace) -> int:
    schedules = _schedules(args)
    api = _prefect_api()
    if api:
        _check_server(api)
    elif not args.temporary:  # refused, as deploy is
        raise _no_server("serve", temporary_flag=True)
    _check_model()
    from prefect import serve

    from flows.ingest import ingest
    from flows.review import review

    what = f"{len(schedules)} schedule(s)" if args.topic else "one all-topics schedule"
    print(
        f"Serving ingest/nightly ({what} at '{args.cron}' UTC) and review/review; Ctrl-C stops.",
        file=sys.stderr,
    )
    if not api:
        print(
            "They are served from a temporary Prefect server (--temporary): they end with this command.",
            file=sys.stderr,
        )
    nightly: Any = ingest.to_deployment(name="nightly", schedules=schedules)
    decisions: Any = review.to_deployment(name="review")
    serve(nightly, decisions, limit=args.limit)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alphatree",
        description="Keep the AlphaTree paper tree current: arXiv -> PDF -> figures -> Chinese -> review.",
        epilog="example: alphatree ingest --topic gan; alphatree review list; alphatree publish",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"alphatree-ingest {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=help,
            description=help,
            epilog=EPILOG[name],
        )

    p = add("ingest", "Run the ingest flow for one topic: find, download, extract, translate, draft.")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--topic", help="topic id from catalog/topics.yaml, e.g. gan")
    which.add_argument(
        "--all-topics", action="store_true", help="every topic of topics.yaml, ranked across topics"
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="only ask arXiv and show what the run would draft or hold back (no PDF, nothing written)",
    )
    p.add_argument("--json", action="store_true", help="with --dry-run: one JSON document on stdout")
    p.add_argument(
        "--budget",
        type=int,
        help="drafts a night across topics (default: budget in topics.yaml, else 3); the rest is held back",
    )
    p.add_argument(
        "--since", help="backfill: papers changed (new or revised) on or after this date (YYYY-MM-DD)"
    )
    p.add_argument(
        "--max-papers",
        type=int,
        help="stop after this many papers; the next run asks for the rest (default: no limit; a first run "
        "without --since looks back 7 days)",
    )
    p.add_argument(
        "--min-relevance",
        type=float,
        help="hold back papers scoring under this (0 drafts all); default: the topic's setting",
    )
    p.set_defaults(func=cmd_ingest)

    p = add(
        "path",
        "Print the reading order that leads to an entry, or a starting plan for a topic; --known skips "
        "what you know.",
    )
    p.add_argument("entry", nargs="?", help="entry id, e.g. stylegan")
    p.add_argument("--topic", help="a topic id, for a starting plan")
    p.add_argument("--level", choices=["beginner", "advanced"], help="with --topic: only goals of this level")
    p.add_argument(
        "--known",
        metavar="A,B",
        help="entries you know already (ids, comma-separated): the plan skips them and what only they need",
    )
    p.set_defaults(func=cmd_path)

    p = add("extract", "Extract text, sections, figures, code links and references from a PDF (JSON).")
    p.add_argument("pdf", help="the PDF file")
    p.add_argument("--out", help="folder for the figure PNGs")
    p.set_defaults(func=cmd_extract)

    p = add("translate", "Translate English to Simplified Chinese, one output line per input line.")
    p.add_argument("text", nargs="?", help="text to translate")
    p.add_argument("--file", help="a UTF-8 text file to translate")
    p.set_defaults(func=cmd_translate)

    p = add("review", "The review queue: list, show, approve or reject drafts.")
    actions = p.add_subparsers(dest="action", required=True)
    listing = actions.add_parser(
        "list",
        help="drafts waiting for review, with failing checks",
        description="Drafts waiting for review, each with the checks its approval would fail, and flags "
        "for new arXiv versions of approved entries.",
        epilog="example: alphatree review list; alphatree review list --held-back",
    )
    listing.add_argument(
        "--held-back",
        action="store_true",
        help="the papers nights held back instead, with score and reason (draft one: review recover ID)",
    )
    recover = actions.add_parser(
        "recover",
        help="draft a held-back paper now (the ranker learns it was wanted)",
        description="Draft a paper a night held back, from its held-back record (no new arXiv query).",
        epilog="example: alphatree review recover 2401.01234",
    )
    recover.add_argument("id", help="arXiv id of the held-back paper, e.g. 2401.01234")
    for action, text in (
        ("show", "a draft in English and Chinese, with its suggestions"),
        ("approve", "move a draft that passes every check into the tree"),
        ("reject", "reject a draft; it is never drafted again"),
    ):
        a = actions.add_parser(
            action,
            help=text,
            description=text,
            epilog=f"example: alphatree review {action} 2401.01234"
            + (' --reason "off topic"' if action == "reject" else ""),
        )
        a.add_argument("id", help="arXiv id of the draft, e.g. 2401.01234")
        if action == "reject":
            a.add_argument("--reason", required=True, help="why, for later reviewers")
        if action == "approve":
            a.add_argument(
                "--no-read",
                action="store_true",
                help="do not make the Chinese reading page now (`alphatree read ID` makes it later)",
            )
    a = actions.add_parser(
        "serve",
        help="the review queue as a local web app: figures, English beside Chinese, one click per choice",
        description="Serve the review queue as a small web app, one draft per page; its decisions go "
        "through the same gate as `review approve`. Bound to anything but loopback it requires a token "
        "(printed, or ALPHATREE_REVIEW_TOKEN).",
        epilog="example: alphatree review serve   (then open http://127.0.0.1:8765/)",
    )
    a.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    a.add_argument("--port", type=_port, default=8765, help="port (default: %(default)s; 0 picks a free one)")
    a.add_argument(
        "--no-read",
        action="store_true",
        help="do not make the Chinese reading page after an approval (`alphatree read ID` makes it later)",
    )
    p.set_defaults(func=cmd_review)

    p = add(
        "enrich",
        "Draft what tree entries lack (diagram, figures, Chinese abstract, PyTorch link) from their papers.",
    )
    p.add_argument("entries", nargs="*", metavar="ENTRY_ID", help="entry ids (default: every entry)")
    p.add_argument("--topic", help="only entries of this topic and its subtopics, e.g. classification")
    p.set_defaults(func=cmd_enrich)

    p = add("add", "Draft known papers by arXiv id, whatever their date (the classics of a topic).")
    p.add_argument("ids", nargs="+", metavar="ARXIV_ID", help="arXiv ids, e.g. 1506.01497")
    p.add_argument("--topic", required=True, help="topic id from catalog/topics.yaml, e.g. detection")
    p.set_defaults(func=cmd_add)

    p = add("model", "Fetch the translation model (pull) or measure it on real scientific sentences (check).")
    p.add_argument("action", choices=["pull", "check"], help="pull: download into --to; check: measure")
    p.add_argument(
        "name", nargs="?", help="pull: the hub model (default: ALPHATREE_MT_MODEL or opus-mt-en-zh)"
    )
    p.add_argument(
        "--to", default="opus-mt-en-zh", help="pull: a new folder for the model (default: %(default)s)"
    )
    p.set_defaults(func=cmd_model)

    p = add("memory", "Audit the translation memory (rows marked human that repeat machine output).")
    p.add_argument("action", choices=["audit"], help="what to do")
    p.add_argument("--repair", action="store_true", help="remove the rows the audit finds")
    p.set_defaults(func=cmd_memory)

    p = add("publish", "Regenerate the tree's Chinese pages from the approved entries.")

    p.add_argument("--out", help="output folder (default: <home>/site)")
    p.set_defaults(func=cmd_publish)

    p = add(
        "read", "Translate the whole paper of a tree entry into a Chinese reading page, sentence by sentence."
    )
    p.add_argument("entry", help="entry id or arXiv id, e.g. resnet or 1512.03385")
    p.add_argument("--pdf", help="the paper's PDF (default: the cached one, else downloaded from arXiv)")
    p.set_defaults(func=cmd_read)

    p = add(
        "demo", "Run the whole job offline in a new tree: a local arXiv feed, a tiny model, the real flow."
    )
    p.add_argument("--out", help="a new (empty) folder for the demo tree (default: a temporary folder)")
    p.set_defaults(func=cmd_demo)

    p = add(
        "serve",
        "Serve the nightly deployment ingest/nightly (one schedule for all topics, or one per --topic) "
        "to a Prefect server.",
    )
    p.add_argument(
        "--topic",
        action="append",
        help="a schedule of its own for this topic (repeatable; default: one schedule of all topics)",
    )
    p.add_argument(
        "--cron", default="0 2 * * *", help="schedule of each topic (cron, UTC; default: %(default)s)"
    )
    p.add_argument(
        "--limit",
        type=int,
        default=2,
        help="flow runs executed at once by this process (default: %(default)s)",
    )
    p.add_argument(
        "--temporary",
        action="store_true",
        help="without PREFECT_API_URL: serve from a temporary Prefect server (its schedules end with "
        "this command); otherwise serve refuses to start",
    )
    p.set_defaults(func=cmd_serve)

    p = add(
        "deploy",
        "Register ingest/nightly (one schedule for all topics, or one per --topic) and review/review in a "
        "work pool.",
    )
    p.add_argument("--pool", required=True, help="a Prefect work pool, e.g. of type process")
    p.add_argument(
        "--topic",
        action="append",
        help="a schedule of its own for this topic (repeatable; default: one schedule of all topics)",
    )
    p.add_argument(
        "--cron", default="0 2 * * *", help="schedule of each topic (cron, UTC; default: %(default)s)"
    )
    p.set_defaults(func=cmd_deploy)
    return parser


def _port(value: str) -> int:
    """A TCP port number, 0 to 65535 (argparse says what is wrong in one line)."""
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0 to 65535)")
    return port


def main(argv: list[str] | None = None) -> int:
    # Our runs send nothing home: Prefect's temporary server would otherwise try to, and log an ERROR
    # for each offline attempt. A user who wants it sets the variable.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Without PyTorch (a plain install) transformers would say on every command that it has no models;
    # we use its tokenizer only.
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    args = build_parser().parse_args(argv)
    from .catalog import CatalogError
    from .config import SettingsError
    from .discover.arxiv_source import ArxivUnavailable
    from .mt.marian import ModelUnavailable
    from .run.processes import mark_servers, reap_orphan_servers, stop_on_sigterm

    stop_on_sigterm()
    mark_servers()
    stopped = reap_orphan_servers()
    if stopped:
        print(f"Stopped {len(stopped)} temporary Prefect server(s) left by killed runs.", file=sys.stderr)
    try:
        return int(args.func(args))
    except (CliError, SettingsError, ModelUnavailable, ArxivUnavailable, CatalogError) as err:
        message = str(err).rstrip(".")  # its case kept: it may start with a file name (zero.pdf)
        print(f"error: {message}.", file=sys.stderr)
        return getattr(err, "code", EXPECTED_ERROR)
    except OSError as err:  # a full disk, a folder where a file should be: one sentence, no traceback
        from .run.faults import describe

        print(f"error: {describe(err)}; nothing was left half-written.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
