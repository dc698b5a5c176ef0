"""Refusals in plone.restapi's JSON error form.

``{"error": {"type": ..., "message": ...}}`` with the HTTP status, as
plone.restapi's own services answer (``@workflow``, ``@sharing``). Our
services answer what they refuse themselves instead of raising: plone.rest's
error view adds a traceback for Managers, and a refused request is no error
of the code.
"""

from zope.i18n import translate


class APIError(Exception):
    """Raised inside a service; ``Service.reply`` turns it into the answer."""

    def __init__(self, status, kind, message):
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message


def bad_request(message):
    return APIError(400, "BadRequest", message)


def unauthorized(message):
    """401 for visitors who are not logged in, else 403 (as plone.rest)."""
    return APIError(401, "Unauthorized", message)


def answer(request, error):
    from plone import api

    status = error.status
    if status == 401 and not api.user.is_anonymous():
        status = 403
    request.response.setStatus(status)
    message = translate(error.message, context=request)
    return {"error": {"type": error.kind, "message": message}}
