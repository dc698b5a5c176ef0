"""The readers report's links and its filter form's hidden fields: each
keeps the page's other fields (the access log's, on the same page), a
page of the rows starts again (a base of ``ReadersReport``)."""

from urllib.parse import parse_qsl
from urllib.parse import urlencode


class ReadersLinks:
    """Links of ``ReadersReport`` (which has sort_on, reverse, counts)."""

    def page_url(self, **changes):
        """``@@tracking`` with the query of this request, ``changes`` made
        (the access log's fields stay, a page of the rows starts again)."""
        query = dict(parse_qsl(self.request.get("QUERY_STRING", "")))
        query.pop("format", None)
        query.pop("readers_start", None)
        query.update(changes)
        query = urlencode({k: v for k, v in query.items() if v not in ("", None)})
        url = f"{self.context.absolute_url()}/@@tracking"
        return f"{url}?{query}#tracking-readers" if query else f"{url}#tracking-readers"

    def sort_url(self, column):
        """The column header's link: sort by it, or flip the current order."""
        flip = column == self.sort_on and not self.reverse
        order = "descending" if flip else ""
        return self.page_url(readers_sort=column, readers_order=order)

    def filter_url(self, status):
        return self.page_url(readers_status=status or "")

    def hidden_fields(self):
        """The query of this request but the reading filter's own fields,
        for the filter's form (the access log's fields stay)."""
        query = dict(parse_qsl(self.request.get("QUERY_STRING", "")))
        drop = {"format", "readers_start", "readers_min", "readers_end"}
        return [(key, value) for key, value in query.items() if key not in drop]

    def csv_url(self):
        return self.page_url(format="readers-csv").split("#")[0]

    def remind_url(self):
        """The reminder's confirmation step, where someone has not read it."""
        if not self.counts["unread"]:
            return None
        return f"{self.context.absolute_url()}/@@clicktracker-remind"
