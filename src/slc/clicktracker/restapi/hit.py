"""``POST <content>/@hit``: a headless frontend reports that a member saw
the content (or, with ``seconds``, how long they read it).

Body (JSON)::

    {"token": "<from GET @tracking>", "view": "<random id of this showing>",
     "url": "<the page's address>", "referrer": "<where the member came from>"}

and for a reading update the same ``token`` and ``view`` with ``seconds``,
``depth`` (0-100) and ``end`` (true/false).

The rules are the Classic callback's (``browser/callback.py``), which does
the work: the token is signed, bound to member, object and site, and
expires; a showing (token + view) counts once, in every Zope instance; bots
and anonymous visitors (unless tracked) are refused; the visit cookie is
read and set; nothing is written to the ZODB (the transaction is doomed).
Answers: 204 whether the hit was recorded or refused (the reason is in the
debug log, as for the callback); 400 with a JSON error for a body our
snippet never sends; 200 ``{"token": "..."}`` when the token was right but
had expired -- nothing was recorded, send the hit again with that token.

A frontend's page address is often not the site's (Volto on another port or
host): an address outside the site is recorded as the content's own URL.
"""

from plone import api
from slc.clicktracker.browser import callback
from slc.clicktracker.browser.urls import same_site
from slc.clicktracker.restapi import errors
from slc.clicktracker.restapi.base import ClickTrackerService
import logging
import transaction


logger = logging.getLogger(__name__)

HIT_FIELDS = {"token", "view", "url", "referrer"}
UPDATE_FIELDS = {"token", "view", "seconds", "depth", "end"}


def text_fields(data, names):
    """The callback's form fields from the JSON body: text, as a form has."""
    fields = {}
    for name in names:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "1" if value else "0"
        elif isinstance(value, int):
            value = str(value)
        if not isinstance(value, str):
            raise callback.Malformed(f"{name} is not text or a whole number")
        fields[name] = value
    return fields


class HitPost(ClickTrackerService):
    def answer(self):
        transaction.doom()
        data = self.body()
        recorder = callback.ClickTrackerCallback(self.context, self.request)
        try:
            if "seconds" in data:
                self.check_keys(data, UPDATE_FIELDS)
                recorder.update_reading(text_fields(data, UPDATE_FIELDS))
            else:
                self.check_keys(data, HIT_FIELDS)
                recorder.record(*self.hit_fields(recorder, data))
        except callback.Malformed as error:
            raise errors.bad_request(f"Not a hit: {error}.") from None
        except callback.Expired as fresh:
            return {"token": str(fresh)}
        except callback.Refused as error:
            logger.debug("Hit on %s not counted: %s", self.request.URL, error)
        except Exception:
            # A click counter is never worth an error answer.
            logger.warning(
                "Could not record a hit on %s", self.request.URL, exc_info=True
            )
        return self.reply_no_content()

    def check_keys(self, data, known):
        unknown = sorted(set(data) - known)
        if unknown:
            raise callback.Malformed(f"unknown fields {', '.join(unknown)}")

    def hit_fields(self, recorder, data):
        fields = text_fields(data, HIT_FIELDS)
        url = fields.get("url") or self.context.absolute_url()
        if not same_site(url, api.portal.get().absolute_url()):
            url = self.context.absolute_url()
        fields["url"] = url
        # Checked as the callback checks its form.
        return recorder.fields(fields)
