"""Command line: ``python -m crm <command>``. The same functions the pages call.

Every command takes ``--db PATH`` (default ``data/crm.duckdb``) and creates the
database when it is missing. Commands open the database only while they need it
(`crm.store.access`): reads work beside a running app; a write waits its turn
(``CRM_WRITE_WAIT`` seconds, default 60) behind another writer.

Exit status (the one error boundary is `main`): 0 done; 2 bad input, with a
message; 3 the database stayed busy, with a message naming what holds it;
1 an unexpected error, with an incident id (the traceback goes to the log,
``$CRM_LOG``, and to stderr only with ``CRM_DEBUG=1``). A closed pipe
(``python -m crm batches | head``) ends quietly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import importlib
import os
import sys
from pathlib import Path

from crm import incidents
from crm.store import access, db
from crm.errors import CRMInputError, DatabaseBusy, describe_holder
from crm.i18n import normalise_language, render, t
from crm.intake.fileformats import DECIMAL_MARKS, ENCODINGS


def _lang() -> str:
    """CRM_LANG when set, else Chinese only for a zh* system locale (C.UTF-8 and the like mean English)."""
    if os.environ.get("CRM_LANG"):
        return normalise_language(os.environ["CRM_LANG"])
    return "zh" if os.environ.get("LANG", "").lower().startswith("zh") else "en"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value}") from exc


def _progress(message, fraction: float) -> None:
    """A step of long work on stderr, in the command's language."""
    print(f"[{fraction:5.0%}] {render(message, _lang())}", file=sys.stderr, flush=True)


def _actor() -> tuple[str, str]:
    """Who the audit log names for a command: the operating-system user, role 'cli'."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return f"cli:{name}", "cli"


def _record(con, action: str, detail: dict | None = None, **kwargs) -> None:
    from crm.access import audit

    audit.record(con, *_actor(), action, detail, **kwargs)


def _backup(con, args: argparse.Namespace, reason: str, detail: dict) -> str:
    """The backup every destructive command writes first; prints where it went."""
    from crm.store import backups

    name = backups.create_backup(con, backups.backup_dir_for(args.db), reason, _actor()[0], detail)
    _record(con, "backup", {"name": name, "reason": reason, **detail})
    print(t("backups.cli.written", _lang(), name=name), file=sys.stderr)
    return name


def _waiting(key: str):
    """on_wait for `access.writing`: say on stderr what this command waits for."""
    return lambda holder: print(t(key, _lang(), holder=describe_holder(holder, _lang())), file=sys.stderr, flush=True)


def _writing(args: argparse.Namespace, action: str, detail: str = "", wait_key: str = "safety.wait.write"):
    return access.writing(args.db, who="cli", action=action, detail=detail, on_wait=_waiting(wait_key))


def cmd_demo(args: argparse.Namespace) -> int:
    from crm.intake import demo

    demo.validate_arguments(args.customers, args.seed, args.years, args.end)  # before any file is created
    with _writing(args, "demo") as con:
        batches = demo.imported_batches(con)
        if batches and not args.force:
            typed = None
            if sys.stdin.isatty():
                print(t("demo.refuse.prompt", _lang(), batches=batches, word=demo.CONFIRM_WORD), file=sys.stderr)
                typed = input("> ")
            demo.require_replace_confirmation(con, typed)
        if db.table_counts(con).get("customers", 0):
            _backup(con, args, "demo", {"imported_batches": batches})
        summary = demo.build_demo(
            con, customers=args.customers, seed=args.seed, end_date=args.end, years=args.years,
            progress=_progress,
        )
        _record(con, "demo", {"customers": args.customers, "seed": args.seed, "replaced_batches": batches},
                rows=summary["customers"])
    for key, value in summary.items():
        print(f"{key}: {value}")
    return 0


def _parse_map(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise CRMInputError("imports.error.bad_map_argument", value=pair)
        source, target = pair.split("=", 1)
        mapping[source.strip()] = target.strip()
    return mapping


def _parse_map_values(pairs: list[str]) -> dict[str, dict[str, str | None]]:
    """``category:食品=美食`` arguments → {dimension: {value: target or None}}."""
    from crm.intake import vocabulary

    choices: dict[str, dict[str, str | None]] = {}
    for pair in pairs or []:
        dimension, source, target = vocabulary.parse_choice(pair)
        choices.setdefault(dimension, {})[source] = target
    return choices


def _warn_unused_values(plan, pairs: list[str]) -> None:
    """Say on stderr which --map-value values the file does not have."""
    from crm.intake import vocabulary

    for dimension, value in vocabulary.unused_choices(plan.values, _parse_map_values(pairs)):
        print(t("imports.values.unused", _lang(), dimension=t(f"imports.field.{dimension}", _lang()), value=value),
              file=sys.stderr)


def cmd_import(args: argparse.Namespace) -> int:
    from crm.intake import imports

    if args.kind == "survey":
        from crm.intake.surveys import commands

        return commands.import_survey(args)
    path = Path(args.file)
    if path.is_dir():
        raise CRMInputError("imports.error.is_directory", file=str(path))
    if not path.is_file():
        raise CRMInputError("imports.error.file_not_found", file=str(path))
    size = path.stat().st_size
    if size > imports.MAX_IMPORT_BYTES:  # refuse before reading it into memory
        raise CRMInputError("imports.error.file_too_large", file=path.name, size_mb=round(size / 2**20, 1),
                            limit_mb=round(imports.MAX_IMPORT_BYTES / 2**20, 1))
    with access.reading(args.db) as con:
        plan = imports.prepare_import(
            con, path.read_bytes(), path.name, args.kind, mapping=_parse_map(args.map) or None,
            encoding=args.encoding, sheet=args.sheet, decimal=args.decimal,
        )
    plan = imports.choose_values(plan, _parse_map_values(args.map_value))
    _warn_unused_values(plan, args.map_value)
    print(imports.format_report(plan, _lang()))
    if args.rejected_out and len(plan.rejected):
        plan.rejected.to_csv(args.rejected_out, index=False, encoding="utf-8-sig")
    if args.dry_run:
        return 0
    with _writing(args, "import", path.name, "safety.wait.import") as con:
        result = imports.commit_import(con, plan)
        _record(con, "import", {"kind": args.kind, "file": path.name, "batch": result.batch_id,
                                "skipped_duplicate_file": result.skipped_duplicate_file},
                rows=result.inserted + result.updated)
    print(imports.format_result(result, _lang()))
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from crm.intake import templates

    lang = normalise_language(args.lang) if args.lang else _lang()
    path = templates.write_template(args.kind, args.out, lang)
    print(t("imports.template.written", _lang(), kind=t(f"imports.kind.{args.kind}", _lang()), file=str(path),
            columns=len(templates.template_frame(args.kind, lang).columns)))
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    from crm.intake import imports

    with _writing(args, "undo", f"#{args.batch_id}") as con:
        imports.check_undo(con, args.batch_id)  # a refused undo writes no backup
        _backup(con, args, "undo", {"batch": args.batch_id})
        imports.undo_batch(con, args.batch_id)
        _record(con, "undo", {"batch": args.batch_id})
    print(t("data.batches.undone", _lang(), batch=args.batch_id))
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(t("users.cli.password", _lang()))
    if getpass.getpass(t("users.cli.password_again", _lang())) != first:
        raise CRMInputError("users.error.password_mismatch")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    from crm.access import users

    lang = _lang()
    if args.user_command == "list":
        with access.reading(args.db) as con:
            table = users.list_users(con)
        print(table.to_string(index=False) if len(table) else t("users.cli.none", lang))
        return 0
    password = _read_password(args) if args.user_command in ("add", "password") else None
    with _writing(args, f"user {args.user_command}", args.name) as con:
        _change_user(con, args, password, lang)
    return 0


def _change_user(con, args: argparse.Namespace, password: str | None, lang: str) -> None:
    from crm.access import users

    if args.user_command == "add":
        users.add_user(con, args.name, args.role, password)
        _record(con, "user.add", {"name": args.name, "role": args.role})
        print(t("users.cli.added", lang, name=args.name, role=args.role))
    elif args.user_command == "remove":
        users.remove_user(con, args.name)
        _record(con, "user.remove", {"name": args.name})
        print(t("users.cli.removed", lang, name=args.name))
    else:
        users.set_password(con, args.name, password)
        _record(con, "user.password", {"name": args.name})
        print(t("users.cli.password_set", lang, name=args.name))


def _confirm(args: argparse.Namespace, what: str) -> None:
    """Destructive commands go ahead with --yes, or when the user types `what` at the prompt."""
    if args.yes:
        return
    typed = None
    if sys.stdin.isatty():
        print(t("cli.confirm.prompt", _lang(), command=args.command, word=what), file=sys.stderr)
        typed = input("> ").strip()
    if typed != what:
        raise CRMInputError("cli.confirm.refused", command=args.command, word=what)


def cmd_erase(args: argparse.Namespace) -> int:
    from crm.access import privacy
    from crm.store import backups

    _confirm(args, args.customer_id)
    with _writing(args, "erase", args.customer_id) as con:
        if not db.scalar_in_transaction(con, "SELECT count(*) FROM customers WHERE customer_id = $id",
                                        {"id": args.customer_id}):
            raise CRMInputError("privacy.error.unknown_customer", customer_id=args.customer_id)
        _backup(con, args, "erase", {"customer_id": args.customer_id})
        changed = privacy.erase_customer(con, args.customer_id)
        scrubbed = backups.scrub_erasures(con, backups.backup_dir_for(args.db))
        _record(con, "erase", {"customer_id": args.customer_id, **changed, "backup_files_scrubbed": scrubbed},
                rows=sum(changed.values()))
    print(t("privacy.cli.erased", _lang(), customer_id=args.customer_id))
    return 0


def cmd_backups(args: argparse.Namespace) -> int:
    from crm.store import backups

    table = backups.list_backups(backups.backup_dir_for(args.db))
    print(table.to_string(index=False) if len(table) else t("backups.empty", _lang()))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from crm.store import backups

    directory = backups.backup_dir_for(args.db)
    if args.name not in set(backups.list_backups(directory)["name"]):
        raise CRMInputError("backups.error.unknown", name=args.name)
    _confirm(args, args.name)
    with _writing(args, "restore", args.name) as con:
        _backup(con, args, "restore", {"restoring": args.name})
        backups.restore_backup(con, directory, args.name)
        _record(con, "restore", {"name": args.name})
    print(t("backups.restored", _lang(), name=args.name))
    return 0


def cmd_batches(args: argparse.Namespace) -> int:
    from crm.intake import imports

    with access.reading(args.db) as con:
        batches = imports.list_batches(con)
    table = batches.drop(columns=["mapping", "file_hash"])  # long; the page shows them
    print(table.to_string(index=False))
    return 0


def _analysis_filters(con, args: argparse.Namespace):
    """The period the pages default to: the 12 months up to as-of (the data's reference date
    unless --as-of), with --start / --end overriding either end."""
    from dataclasses import replace

    from crm.store.features import reference_date
    from crm.store.filters import default_filters

    as_of = args.as_of or reference_date(con)
    filters = default_filters(as_of)
    return replace(filters, start=args.start or filters.start, end=args.end or filters.end)


def cmd_segments(args: argparse.Namespace) -> int:
    from crm.export import write_table
    from crm.value.segments import customer_segments

    lang = _lang()
    with access.reading(args.db) as con:
        filters = _analysis_filters(con, args)
        table = customer_segments(con, filters, bins=args.bins, split=args.split, n_clusters=args.clusters,
                                  lang=lang)
    path = write_table(table, args.out, kinds={"monetary": "money"})  # no title row: the header is row 1
    print(t("segments.cli.written", lang, rows=len(table), file=str(path), start=filters.start,
            end=filters.end, as_of=filters.as_of))
    sizes = table.dropna(subset=["cluster"]).groupby(["cluster", "cluster_name"]).size()
    if len(sizes):
        listed = t("segments.cli.clusters.separator", lang).join(
            t("segments.cli.clusters.item", lang, name=name, customers=f"{count:,}") for (_, name), count in sizes.items())
        print(t("segments.cli.clusters", lang, k=len(sizes), clusters=listed))
    return 0


def _parse_top(value: str) -> dict[str, object]:
    """'5%' -> top_share 0.05; '50' -> top_n 50."""
    text = value.strip()
    try:
        if text.endswith("%"):
            return {"top_share": float(text[:-1]) / 100}
        return {"top_n": int(text)}
    except ValueError as exc:
        raise CRMInputError("key_accounts.error.bad_top", value=value) from exc


def cmd_key_accounts(args: argparse.Namespace) -> int:
    from crm.export import write_table
    from crm.formatting import format_percent
    from crm.value.key_accounts import select_key_accounts

    selection = _parse_top(args.top) if args.top is not None else {}
    with access.reading(args.db) as con:
        filters = _analysis_filters(con, args)
        result = select_key_accounts(con, filters, by=args.by, min_revenue=args.min_revenue,
                                     min_orders=args.min_orders, **selection)
    money = ("revenue", "profit", "avg_order_value", "prev_revenue")
    path = write_table(result.table, args.out, kinds={**dict.fromkeys(money, "money"), "margin": "percent",
                                                      "change": "percent", "last_order_date": "date"})
    print(t("key_accounts.cli.written", _lang(), rows=result.customers, file=str(path),
            revenue_share=format_percent(result.revenue_share), profit_share=format_percent(result.profit_share)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crm", description="CRM Insight command line")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--db", default=str(db.DEFAULT_DB_PATH), help="database file (default: %(default)s)")
        p.set_defaults(func=func)
        return p

    p = add("demo", cmd_demo, "build the demo database (replaces its data)")
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--years", type=int, default=3)
    p.add_argument("--end", type=_date, default=None, help="last order date (default: fixed demo date)")
    p.add_argument("--force", action="store_true", help="replace imported data without the typed confirmation")

    p = add("import", cmd_import, "import customers, orders, tickets or survey responses from CSV, XLSX or Parquet")
    p.add_argument("kind", choices=["customers", "orders", "tickets", "survey"])
    p.add_argument("file")
    p.add_argument("--map", action="append", metavar="SOURCE=TARGET",
                   help="column mapping, repeatable; for a survey COLUMN=SPEC sets a question, SPEC being "
                        "comma-separated kind=rating|nps|choice|multi|text, dimension=quality|price|delivery|"
                        "service|packaging|after_sales|overall|other, measure=perceived|expected|importance|overall, "
                        "scale=1-5, reverse or noreverse (e.g. --map 'Q2_2=dimension=price,measure=expected,reverse')")
    p.add_argument("--title", default=None, help="survey: its title (default: the file name); same title = waves")
    p.add_argument("--wave", default=None, help="survey: the wave, e.g. 2026-Q1 (default: quarter of the answers)")
    p.add_argument("--link", default=None, metavar="COLUMN",
                   help="survey: the column identifying customers (default: the one matching most; '' for none)")
    p.add_argument("--map-value", action="append", metavar="DIMENSION:VALUE=TARGET",
                   help="store VALUE of category, channel or province as TARGET (remembered; "
                        "empty TARGET keeps VALUE), repeatable")
    p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    p.add_argument("--rejected-out", metavar="FILE",
                   help="write rejected rows (for a survey: the validation report) to this CSV")
    p.add_argument("--encoding", choices=ENCODINGS, default=None, help="text encoding of a CSV (default: detected)")
    p.add_argument("--sheet", default=None, help="Excel sheet to read (default: the one with the data)")
    p.add_argument("--decimal", choices=DECIMAL_MARKS, default=None,
                   help="decimal mark of amounts: . (1,234.50) or , (1.234,50) (default: detected)")

    p = add("template", cmd_template, "write an import template (headers and two example rows)")
    p.add_argument("kind", choices=["customers", "orders", "tickets"])
    p.add_argument("--out", required=True, metavar="FILE", help="output file, .csv or .xlsx")
    p.add_argument("--lang", choices=["zh", "en"], default=None,
                   help="header language (default: CRM_LANG, else the system locale)")

    p = add("undo", cmd_undo, "undo an import batch")
    p.add_argument("batch_id", type=int)

    add("batches", cmd_batches, "list import batches")

    p = sub.add_parser("user", help="manage who may log in to the app")
    users_sub = p.add_subparsers(dest="user_command", required=True)
    for name, help_text in (("add", "add a user"), ("list", "list users"), ("remove", "remove a user"),
                            ("password", "set a user's password")):
        q = users_sub.add_parser(name, help=help_text)
        q.add_argument("--db", default=str(db.DEFAULT_DB_PATH), help="database file (default: %(default)s)")
        q.set_defaults(func=cmd_user)
        if name != "list":
            q.add_argument("name")
        if name == "add":
            q.add_argument("--role", required=True, choices=["admin", "analyst", "viewer"])
        if name in ("add", "password"):
            q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    p = add("erase", cmd_erase, "erase one customer's personal data (orders stay, anonymous)")
    p.add_argument("customer_id")
    p.add_argument("--yes", action="store_true", help="do not ask to type the customer id")

    add("backups", cmd_backups, "list backups")
    p = add("restore", cmd_restore, "restore the data from a backup")
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="do not ask to type the backup's name")

    def add_period(p: argparse.ArgumentParser) -> None:
        p.add_argument("--out", required=True, metavar="FILE", help="output file, .csv or .xlsx")
        p.add_argument("--as-of", type=_date, default=None, help="as-of date (default: the latest order date)")
        p.add_argument("--start", type=_date, default=None, help="period start (default: 12 months before as-of)")
        p.add_argument("--end", type=_date, default=None, help="period end (default: as-of)")

    p = add("segments", cmd_segments, "export the per-customer RFM / ABC / tier / cluster table")
    add_period(p)
    p.add_argument("--bins", type=int, choices=[4, 5], default=5, help="score bins: 5 quintiles, 4 quartiles")
    p.add_argument("--split", choices=["mean", "median"], default="mean", help="high/low threshold of R, F and M")
    p.add_argument("--clusters", type=int, default=None, metavar="K", help="number of clusters (default: by silhouette)")

    p = add("key-accounts", cmd_key_accounts, "export the key accounts")
    add_period(p)
    p.add_argument("--top", default=None, metavar="N|P%", help="top N customers (50) or top share (5%%)")
    p.add_argument("--by", choices=["revenue", "profit", "orders"], default="revenue", help="ranking measure")
    p.add_argument("--min-revenue", type=float, default=None, help="minimum revenue in the period")
    p.add_argument("--min-orders", type=int, default=None, help="minimum orders in the period")

    for module in DOMAIN_COMMANDS:  # each domain adds its own commands beside these
        importlib.import_module(module).register(add, add_period)
    return parser


# Modules with a `register(add, add_period)` that adds their commands (same `add` as above).
DOMAIN_COMMANDS = ("crm.satisfaction.commands", "crm.retention.commands")


def _quiet_stdout() -> None:
    """After a closed pipe: point stdout at /dev/null so the exit flush raises nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Run one command; the CLI's error boundary (exit statuses in the module docstring)."""
    args = build_parser().parse_args(argv)
    try:
        try:
            return args.func(args)
        finally:
            access.release_idle()  # leave the file free for the next program at once
    except DatabaseBusy as exc:
        print(exc.message(_lang()), file=sys.stderr)
        return 3
    except CRMInputError as exc:
        print(exc.message(_lang()), file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of our output went away (`| head`): nothing left to say
        _quiet_stdout()
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the boundary: anything else is a bug, logged with an incident id
        if os.environ.get("CRM_DEBUG") == "1":
            raise
        incident = incidents.record(exc, f"cli {args.command}")
        print(t("safety.error.cli", _lang(), incident=incident, log=str(incidents.log_path())), file=sys.stderr)
        return 1
