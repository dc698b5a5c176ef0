"""Console scripts; they run without Zope.

``clicktracker-purge`` deletes what is older than N days (the retention:
raw hits, visits, received hit ids, reminders, confirmations, and access
totals not viewed since; see ``purge.py``), e.g. nightly from cron::

    SLC_CLICKTRACKER_DSN="host=db dbname=plone_clicks user=plone" \\
        clicktracker-purge --keep-days 180

The documents and the site statistics' daily figures (which name nobody)
stay. Exit status: 0 done, 1 database error, 2 bad arguments.
"""

from slc.clicktracker.interfaces import StorageError
from slc.clicktracker.storage.dsn import ENV_DSN
from slc.clicktracker.storage.dsn import environment_dsn
from slc.clicktracker.storage.postgresql import PostgresqlStorage
import argparse
import sys


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, no usage block: it ends up in cron mail.
        self.exit(2, f"{self.prog}: error: {message}\n")


def positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def purge_parser():
    parser = Parser(
        prog="clicktracker-purge",
        description=(
            "Delete what slc.clicktracker keeps about members that is older "
            "than N days (docs/privacy.rst)."
        ),
    )
    parser.add_argument(
        "--dsn",
        default=None,
        help=f"PostgreSQL connection string (default: ${ENV_DSN})",
    )
    parser.add_argument(
        "--keep-days",
        type=positive,
        required=True,
        metavar="N",
        help="keep the last N days",
    )
    parser.add_argument(
        "--batch-size",
        type=positive,
        default=5000,
        metavar="B",
        help="rows deleted per transaction (default: 5000)",
    )
    return parser


def purge(argv=None):
    """``clicktracker-purge``; returns the exit status."""
    args = purge_parser().parse_args(argv)
    dsn = (args.dsn or "").strip() or environment_dsn()
    if not dsn:
        sys.stderr.write(
            f"clicktracker-purge: error: no database given (--dsn or ${ENV_DSN})\n"
        )
        return 2
    storage = PostgresqlStorage(dsn)
    try:
        removed = storage.purge(args.keep_days, batch_size=args.batch_size)
    except StorageError as error:
        message = " ".join(str(error).split())
        sys.stderr.write(f"clicktracker-purge: error: {message}\n")
        return 1
    finally:
        storage.close()
    counts = ", ".join(f"{count} {table}" for table, count in removed.items())
    print(f"removed older than {args.keep_days} days: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(purge())
