"""How a channel says a delivery went wrong, so delivery knows whether to try again."""


class TransientDeliveryError(Exception):
    """May pass if tried again: timeouts, refused connections, SMTP 4xx, HTTP 5xx and 429."""


class PermanentDeliveryError(Exception):
    """Trying again won't help: SMTP 5xx, HTTP 4xx, no address. An admin must look."""


class NotNeeded(Exception):
    """The message no longer applies (the patient submitted, the webhook was switched off)."""
