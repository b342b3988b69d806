"""verify.core.validation: one message template, "`name` must be <expected>, got <value>"."""

from __future__ import annotations

import numpy as np
import pytest

from verify.core.validation import (
    argument_error,
    check_callable,
    check_choice,
    check_dtype,
    check_int,
    check_number,
)


def test_the_template():
    assert str(argument_error("n", "an int >= 1", 0)) == "`n` must be an int >= 1, got 0"
    error = argument_error("loss", "callable", error=TypeError, got="str")
    assert isinstance(error, TypeError) and str(error) == "`loss` must be callable, got str"


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: check_callable("loss", "f"), TypeError, "`loss` must be callable, got str"),
        (
            lambda: check_choice("method", "fwd", ("a", "b")),
            ValueError,
            "`method` must be one of 'a', 'b', got 'fwd'",
        ),
        (
            lambda: check_choice("method", "fwd", ("a",), optional=True),
            ValueError,
            "`method` must be one of 'a' or None, got 'fwd'",
        ),
        (lambda: check_int("seed", 1.5, 0), TypeError, "`seed` must be an int >= 0, got 1.5"),
        (lambda: check_int("seed", True, 0), TypeError, "`seed` must be an int >= 0, got True"),
        (lambda: check_int("n", 0, 1), ValueError, "`n` must be an int >= 1, got 0"),
        (
            lambda: check_int("chunk", 0, 1, optional=True),
            ValueError,
            "`chunk` must be an int >= 1 or None, got 0",
        ),
        (
            lambda: check_number("step", 0.0, strict=True),
            ValueError,
            "`step` must be a finite number > 0, got 0.0",
        ),
        (
            lambda: check_number("rtol", float("nan")),
            ValueError,
            "`rtol` must be a finite number >= 0, got nan",
        ),
        (
            lambda: check_number("rtol", "1", optional=True),
            TypeError,
            "`rtol` must be a finite number >= 0 or None, got '1'",
        ),
        (
            lambda: check_dtype(np.int32, (np.float64, np.float32)),
            ValueError,
            "`dtype` must be float32 or float64, got dtype('int32')",
        ),
        (
            lambda: check_dtype("banana", (np.float64,)),
            TypeError,
            "`dtype` must be float64, got 'banana'",
        ),
    ],
)
def test_each_check_names_argument_expectation_and_value(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value) == message


def test_good_values_pass_through_normalised():
    assert check_int("n", np.int64(3), 1) == 3 and type(check_int("n", np.int64(3), 1)) is int
    assert check_int("chunk", None, 1, optional=True) is None
    assert check_number("rtol", 1) == 1.0 and check_number("step", None, optional=True) is None
    assert check_choice("method", None, ("a",), optional=True) is None
    assert check_dtype("float32", (np.float64, np.float32)) == np.dtype(np.float32)
    assert check_callable("f", len) is len
