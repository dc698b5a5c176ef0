"""What every service of ours shares: JSON errors, the JSON body, and no
caching of answers that depend on the member."""

from plone.restapi.services import Service
from slc.clicktracker.restapi import errors
import json


class ClickTrackerService(Service):
    """Subclasses implement ``answer()``; an ``APIError`` becomes a JSON
    error with its status."""

    def reply(self):
        # Every answer depends on who asks.
        self.request.response.setHeader("Cache-Control", "private, no-store")
        try:
            return self.answer()
        except errors.APIError as error:
            return errors.answer(self.request, error)

    def answer(self):
        raise NotImplementedError

    def body(self):
        """The JSON object sent; ``bad_request`` for anything else."""
        # Not plone.restapi's json_body: it calls a JSON list invalid JSON.
        try:
            data = json.loads(self.request.get("BODY") or "{}")
        except ValueError:
            raise errors.bad_request("The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise errors.bad_request("The request body must be a JSON object.")
        return data
