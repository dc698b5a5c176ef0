"""The settings under plone.restapi's ``@controlpanels/clicktracker``.

The same schema as the Classic control panel (``controlpanel.views``), with
its rule for the DSN: the stored password is never sent (it reads as
``********``), and a DSN sent back with ``********`` keeps the stored
password, for the same server, port, database and user only. A DSN the
server cannot connect with is refused, as the form refuses it.

A refused PATCH is answered here (400, plone.rest's ``{"type", "message"}``)
rather than raised: plone.rest's error view would add a traceback for the
Managers who use this panel. The transaction is doomed, so nothing of the
request is saved.
"""

from plone.registry.interfaces import IRegistry
from plone.restapi.controlpanels import IControlpanel
from plone.restapi.controlpanels import RegistryConfigletPanel
from plone.restapi.deserializer import json_body
from plone.restapi.deserializer.controlpanels import ControlpanelDeserializeFromJson
from plone.restapi.exceptions import DeserializationError
from plone.restapi.interfaces import IControlpanelLayer
from plone.restapi.interfaces import IDeserializeFromJson
from plone.restapi.interfaces import ISerializeToJson
from plone.restapi.serializer.controlpanels import ControlpanelSerializeToJson
from slc.clicktracker.controlpanel.views import IControlPanel
from slc.clicktracker.settings import PREFIX
from slc.clicktracker.storage.dsn import MASK
from slc.clicktracker.storage.dsn import connection_problem
from slc.clicktracker.storage.dsn import mask
from slc.clicktracker.storage.dsn import merge
from slc.clicktracker.storage.dsn import same_target
from zExceptions import BadRequest
from zope.component import adapter
from zope.component import getUtility
from zope.interface import Interface
from zope.interface import implementer
import json
import transaction


class IClickTrackerControlpanel(IControlpanel):
    """Our panel, so that its serializers can be told apart."""


@implementer(IClickTrackerControlpanel)
@adapter(Interface, IControlpanelLayer)
class ClickTrackerControlpanel(RegistryConfigletPanel):
    schema = IControlPanel
    schema_prefix = PREFIX
    configlet_id = "clicktracker"
    configlet_category_id = "Products"


@implementer(ISerializeToJson)
@adapter(IClickTrackerControlpanel)
class SerializeToJson(ControlpanelSerializeToJson):
    def __call__(self):
        result = super().__call__()
        data = result.get("data", {})
        if data.get("dsn"):
            data["dsn"] = mask(data["dsn"])
        return result


def dsn_error(message):
    return BadRequest(
        [{"field": "dsn", "error": "ValidationError", "message": message}]
    )


def refuse(request, error):
    """Answer ``error`` (a BadRequest) as 400 and keep nothing of the request."""
    transaction.doom()
    problems = error.args[0] if error.args else str(error)
    if isinstance(problems, list):
        problems = "; ".join(
            f"{p.get('field')}: {p.get('message')}" if isinstance(p, dict) else str(p)
            for p in problems
        )
    response = request.response
    response.setHeader("Content-Type", "application/json")
    response.setStatus(400, lock=True)
    body = {"type": "BadRequest", "message": str(problems)}
    # Locked: the service's 204 and empty body that follow must not replace it.
    response.setBody(json.dumps(body), lock=True)


@implementer(IDeserializeFromJson)
@adapter(IClickTrackerControlpanel)
class DeserializeFromJson(ControlpanelDeserializeFromJson):
    def __call__(self, mask_validation_errors=True):
        try:
            self.deserialize(mask_validation_errors)
        except (BadRequest, DeserializationError) as error:
            refuse(self.request, error)

    def deserialize(self, mask_validation_errors):
        data = json_body(self.request)
        stored = getUtility(IRegistry).get(f"{PREFIX}.dsn") or ""
        super().__call__(mask_validation_errors=mask_validation_errors)
        if not isinstance(data, dict) or "dsn" not in data:
            return
        typed = (data["dsn"] or "").strip()
        if MASK in typed and not same_target(typed, stored):
            raise dsn_error(
                "The saved password is kept only for the same server, port, "
                "database and user. Send the password for this connection "
                f"instead of {MASK}."
            )
        dsn = merge(typed, stored)
        problem = connection_problem(dsn) if dsn else None
        if problem:
            raise dsn_error(f"Cannot connect to this database: {problem}")
        getUtility(IRegistry)[f"{PREFIX}.dsn"] = dsn
