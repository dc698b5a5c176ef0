"""The access log of a storage without ``IAccessLogStorage``: the whole
``getLog`` read, sorted and paged here, one row per member and URL, as
before the database did it (a base of ``AccessLogView``)."""

from collections.abc import Mapping
from slc.clicktracker import _
from slc.clicktracker.browser.reports import is_http_url
from slc.clicktracker.storage.utility import click_storage


_MISSING = object()


def row_value(row, name, index=None):
    """Field ``name`` of a log row: attribute, mapping key, else ``row[index]``.

    Third-party storages may return plain tuples; careful: a tuple has
    methods called ``count`` and ``index``, which are not the data.
    """
    if isinstance(row, Mapping):
        value = row.get(name, _MISSING)
    else:
        value = getattr(row, name, _MISSING)
    if value is not _MISSING and not callable(value):
        return value
    if index is not None and not isinstance(row, Mapping):
        try:
            return row[index]
        except (IndexError, KeyError, TypeError):
            pass
    return None


def _sort_key(value):
    # Rows without the value (older third-party storages) sort together,
    # without comparing None to datetimes.
    return (value is not None, value if value is not None else 0)


class WholeLog:
    """``_load_all``: the rows of ``getLog``, for ``AccessLogView``."""

    def _load_all(self):
        """Today's way, for storages without IAccessLogStorage."""
        storage = click_storage()
        if storage is None:
            self.fail(_("No click storage is registered."))
            return []
        order_by = (
            self.sort_on if self.sort_on not in ("fullname", "firstaccess") else None
        )
        reverse = self.reverse if order_by else False
        window = self._window()
        try:
            raw = storage.getLog(self.prefix, order_by, reverse, **window)
        except TypeError:
            if not window:
                raise
            # An older storage without since/until: say so, show all.
            self.windows_supported = False
            self.messages.append(
                (
                    "warning",
                    _(
                        "This click storage does not support time windows: "
                        "the whole log is shown."
                    ),
                )
            )
            raw = storage.getLog(self.prefix, order_by, reverse)
        rows = [self._log_row(row) for row in raw]
        if self.sort_on in ("fullname", "firstaccess"):
            # Members without a name (deleted ones) sort by their id.
            def key(row):
                if self.sort_on == "fullname":
                    return ((row["fullname"] or row["member"]).lower(),)
                return (_sort_key(row["firstaccess"]),)

            rows.sort(
                key=lambda row: (*key(row), row["member"], row["url"]),
                reverse=self.reverse,
            )
        self.total = len(rows)
        return rows

    def _log_row(self, row):
        member = str(row_value(row, "member", 0) or "")
        url = str(row_value(row, "url", 3) or "")
        return {
            "member": member,
            "fullname": self.fullname(member),
            "url": url,
            "href": url if is_http_url(url) else None,
            "count": row_value(row, "count", 1),
            "firstaccess": row_value(row, "firstaccess"),
            "lastaccess": row_value(row, "lastaccess", 2),
        }
