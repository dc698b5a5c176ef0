"""A plone.restapi service that does nothing: the baseline of
bench_restapi.py. Registered by restapi_noop.zcml, which only the bench's
Zope loads (never the add-on)."""

from plone.restapi.services import Service


class NoOp(Service):
    def reply(self):
        # 204, as @hit answers: the same work for waitress after it.
        return self.reply_no_content()
