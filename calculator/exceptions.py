"""The calculator's small exception tree (all ``ValueError``)."""


class CalculatorError(ValueError):
    """Base of every calculator error."""


class InvalidLevel(CalculatorError):
    """The level is not one the notice gives a figure for."""


class InvalidCode(CalculatorError):
    """The text is not a code of any form the notice uses."""


class InvalidHours(CalculatorError):
    """Class hours must be a whole, non-negative number."""
