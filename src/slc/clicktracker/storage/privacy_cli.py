"""``clicktracker-privacy``: a member's data rights from the command line,
for a data protection officer without a Plone account (no Zope needed)::

    clicktracker-privacy export alice --format json --output alice.json
    clicktracker-privacy export alice --format csv --output alice.zip
    clicktracker-privacy erase alice --yes
    clicktracker-privacy pseudonymise alice --key-file /etc/plone/ct-key
    clicktracker-privacy pseudonymise --older-than 90 --key-file /etc/plone/ct-key

``--dsn`` defaults to ``$SLC_CLICKTRACKER_DSN``. The key file's content
(surrounding white space dropped, UTF-8) is the pseudonym key: the site's
key gives the site's pseudonyms. Every run writes an audit line (who ran
it, what, how many rows) to stderr and to the ``slc.clicktracker`` log.
Exit status: 0 done, 1 database error, 2 bad arguments.
"""

from pathlib import Path
from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.storage import privacy_export
from slc.clicktracker.storage.cli import Parser
from slc.clicktracker.storage.cli import positive
from slc.clicktracker.storage.dsn import ENV_DSN
from slc.clicktracker.storage.dsn import environment_dsn
from slc.clicktracker.storage.postgresql import PostgresqlStorage
from slc.clicktracker.storage.privacy import clean_key
from slc.clicktracker.storage.privacy import pseudonym
import getpass
import logging
import os
import sys


PROG = "clicktracker-privacy"
logger = logging.getLogger("slc.clicktracker")


class Refused(Exception):
    """Bad input found after parsing: exit status 2, one line."""


def parser():
    parser = Parser(prog=PROG, description="A member's data in slc.clicktracker.")
    parser.add_argument(
        "--dsn", help=f"PostgreSQL connection string (default: ${ENV_DSN})"
    )
    parser.add_argument(
        "--batch-size",
        type=positive,
        default=5000,
        metavar="B",
        help="rows changed per transaction (default: 5000)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    export = commands.add_parser("export", help="write everything stored about MEMBER")
    export.add_argument("member", metavar="MEMBER")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument(
        "--output", metavar="FILE", help="default: standard output (csv: a ZIP file)"
    )
    erase = commands.add_parser("erase", help="delete everything stored about MEMBER")
    erase.add_argument("member", metavar="MEMBER")
    erase.add_argument("--yes", action="store_true", help="really erase")
    rename = commands.add_parser(
        "pseudonymise",
        help="replace MEMBER, or every member in old rows, by pseudonyms",
    )
    rename.add_argument("member", metavar="MEMBER", nargs="?")
    rename.add_argument("--older-than", type=positive, metavar="DAYS")
    rename.add_argument("--key-file", required=True, metavar="FILE")
    for sub in (export, erase, rename):
        # Subcommands exit as the main parser does (one line, status 2).
        sub.error = parser.error
    return parser


def read_key(path):
    try:
        key = Path(path).read_bytes().strip()
    except OSError as error:
        raise Refused(f"cannot read the key file: {error.strerror}: {path}") from None
    try:
        return clean_key(key)
    except ValueError as error:
        raise Refused(f"{path}: {error}") from None


def who():
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def audit(action, rows):
    line = f"{action} by {who()}: " + ", ".join(
        f"{table} {count}" for table, count in rows.items()
    )
    logger.info("%s: %s", PROG, line)
    sys.stderr.write(f"{PROG}: audit: {line}\n")


def run_export(storage, args):
    data = storage.member_data(args.member)
    if args.format == "json":
        body = privacy_export.export_json(data).encode("utf-8")
    else:
        body = privacy_export.export_zip(data)
    if args.output:
        Path(args.output).write_bytes(body)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    rows = {table: len(found) for table, found in data.items()}
    audit(f"exported member {args.member!r} as {args.format}", rows)


def run_erase(storage, args):
    if not args.yes:
        raise Refused(f"erasing {args.member!r} cannot be undone: add --yes")
    removed = storage.erase_member(args.member, batch_size=args.batch_size)
    audit(f"erased member {args.member!r}", removed)
    print(f"erased {sum(removed.values())} rows of {args.member!r}")


def run_pseudonymise(storage, args):
    if (args.member is None) == (args.older_than is None):
        raise Refused("give either MEMBER or --older-than DAYS")
    key = read_key(args.key_file)
    if args.member is not None:
        alias = pseudonym(args.member, key)
        changed = storage.pseudonymise_member(
            args.member, alias, batch_size=args.batch_size
        )
        audit(f"pseudonymised member {args.member!r} as {alias!r}", changed)
        print(f"pseudonymised {sum(changed.values())} rows of {args.member!r}")
    else:
        changed = storage.pseudonymise_before(
            args.older_than, key, batch_size=args.batch_size
        )
        audit(f"pseudonymised rows older than {args.older_than} days", changed)
        print(
            f"pseudonymised {sum(changed.values())} rows older than "
            f"{args.older_than} days"
        )


COMMANDS = {
    "export": run_export,
    "erase": run_erase,
    "pseudonymise": run_pseudonymise,
}


def main(argv=None):
    """``clicktracker-privacy``; returns the exit status."""
    args = parser().parse_args(argv)
    dsn = (args.dsn or "").strip() or environment_dsn()
    if not dsn:
        sys.stderr.write(f"{PROG}: error: no database given (--dsn or ${ENV_DSN})\n")
        return 2
    storage = PostgresqlStorage(dsn)
    try:
        COMMANDS[args.command](storage, args)
    except (Refused, ValueError) as error:
        sys.stderr.write(f"{PROG}: error: {error}\n")
        return 2
    except (StorageError, OSError) as error:
        message = " ".join(str(error).split())
        sys.stderr.write(f"{PROG}: error: {message}\n")
        return 1
    finally:
        storage.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
