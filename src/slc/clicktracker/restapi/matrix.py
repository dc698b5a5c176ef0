"""``GET <folder>/@readers-matrix``: the reading matrix of a folder's
Tracking tab as JSON (or its CSV download), for "slc.clicktracker: View
reading status".

``documents`` are the columns (the tracked documents directly in the
folder, in folder order), ``items`` the members (expected readers first,
then the others who read one of them), batched with ``b_start`` and
``b_size``; each member's ``cells`` follow the documents: ``state`` (read,
late) and ``first_read``, or null where the member has not read it.
``format=csv`` or ``Accept: text/csv``: the page's download (every member).
"""

from slc.clicktracker import _
from slc.clicktracker import readers
from slc.clicktracker.browser.matrix import FolderMatrix
from slc.clicktracker.permissions import VIEW_READING_STATUS
from slc.clicktracker.restapi import reports
from zope.i18n import translate


class MatrixGet(reports.ReportService):
    def answer(self):
        context, request = self.context, self.request
        reports.require(
            context, VIEW_READING_STATUS, "You may not view the reading status here."
        )
        if not FolderMatrix.applies(context):
            raise reports.not_found(
                _(
                    "A document has no reading matrix: folders have one, a "
                    "document has its readers report (@readers)."
                )
            )
        reports.check_format(request)
        reports.batch_size(request)
        view = FolderMatrix(context, request, can_view=True)
        view.update()
        if not view.available:
            raise reports.not_found(
                _("The reading matrix is not available with this storage.")
            )
        reports.refuse(view)
        if reports.wants_csv(request):
            body = view.download() if view.columns else None
            reports.refuse(view)
            if body is None:
                raise reports.not_found(
                    _("There are no tracked documents directly in this folder.")
                )
            return reports.Download(body)
        found = self.report(view)
        reports.refuse(view)  # the reads of the page's members may fail
        return found

    def report(self, view):
        request = self.request
        found = {
            "documents": [
                {
                    # The column's link is the document's Tracking tab.
                    "@id": column["url"].removesuffix("/@@tracking"),
                    "path": column["path"],
                    "title": column["title"],
                    "deadline": reports.iso(view, column["deadline"]),
                    "rule": {
                        "kind": column["rule"].kind,
                        "seconds": column["rule"].seconds or None,
                    },
                    "readers": total,
                }
                for column, total in zip(view.columns, view.column_totals, strict=True)
            ],
            "expected": view.expectation is not None,
            "expected_count": view.expected_count,
            "ready_count": view.ready_count,
            "time_zone": view.timezone_name(),
        }
        texts = {"ready_text": view.ready_text()}
        if view.columns:
            texts["rule_text"] = view.rule_text()
        else:
            texts["message"] = _(
                "There are no tracked documents directly in this folder."
            )
        for key, text in texts.items():
            found[key] = None if text is None else translate(text, context=request)
        deadlines = [column["deadline"] for column in view.columns]

        def serialize(row):
            # The cells of the page's rows are read page by page (fill).
            return row

        listing = reports.batched(request, view.rows, serialize)
        view.fill(listing["items"])
        listing["items"] = [self.row(view, row, deadlines) for row in listing["items"]]
        found.update(listing)
        return found

    @staticmethod
    def row(view, row, deadlines):
        cells = []
        for number, deadline in enumerate(deadlines):
            first = (row["reads"] or {}).get(number)
            if first is None:
                cells.append(None)
                continue
            cells.append(
                {
                    "state": readers.read_state(first, deadline),
                    "first_read": reports.iso(view, first),
                }
            )
        return {
            "member": row["member"],
            "fullname": row["fullname"],
            "expected": row["expected"],
            "count": row["count"],
            "ready": row["ready"],
            "cells": cells,
        }
