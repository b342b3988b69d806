"""Over 500 bad inputs to verify's public API and to every ``chainrule`` subcommand.

API: each case asserts the exception type and a message that names the argument (`name`, or the
path of a leaf inside it, `params[0]`). Where the check belongs to ``numeric`` (sizes,
activations, cost, reduction), either TypeError or ValueError is accepted, but the name is not
optional. Command line (in-process through ``verify.cli.main``; argparse's errors raise
SystemExit(2), the commands' own return 2): the exit status, one line on stderr that names the
option, nothing on stdout, and no traceback. Hypothesis adds random malformed option values.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verify
from numeric import Network
from verify.cli import main
from verify.core.compare import default_tolerances
from verify.core.problems import make_problem
from verify.oracle.layouts import get_layout
from verify.oracle.loading import load_function

ARCH = {"sizes": [3, 4, 2], "activations": "tanh", "cost": "squared_error"}
EITHER = (TypeError, ValueError)  # checked by numeric, whose type we do not pin here


def grad_fn(params, X, y):
    return params


def loss_fn(params):
    return float(np.sum(params[0] ** 2))


def gradient(params):
    return [2 * params[0]]


def reference_elsewhere():
    return verify.gradcheck(loss_fn, gradient, [np.array([3.0, 4.0])]).reference


# Bad values by kind: (value, exception) pairs.
BAD_INTS = [(-1, ValueError), (1.5, TypeError), ("3", TypeError), (None, TypeError)]
BAD_INTS += [(True, TypeError), (math.nan, TypeError), ([1], TypeError), (np.float64(2), TypeError)]
BAD_POSITIVE_INTS = [(0, ValueError), *BAD_INTS]
BAD_TOLERANCES = [(-1.0, ValueError), ("x", TypeError), (math.nan, ValueError)]
BAD_TOLERANCES += [(math.inf, ValueError), (True, TypeError), ([1e-3], TypeError)]
BAD_TOLERANCES += [(-1e-300, ValueError), (1j, TypeError)]
BAD_CALLABLES = [(3, TypeError), ("f", TypeError), (None, TypeError), (np.ones(2), TypeError)]
BAD_CALLABLES += [([print], TypeError), ({"f": print}, TypeError)]
BAD_METHODS = [("forward", ValueError), (3, ValueError), (("central",), ValueError)]
BAD_METHODS += [("", ValueError), ("Central", ValueError)]
BAD_DTYPES = [("banana", TypeError), (np.int32, ValueError), (3.5, TypeError), (None, TypeError)]
BAD_DTYPES += [([np.float32], TypeError), (np.float16, ValueError), ("complex128", ValueError)]
BAD_DTYPES += [(True, TypeError), (object, ValueError)]
BAD_PARAMS = [
    (3, TypeError),
    (np.arange(3), TypeError),
    ([np.ones(2, complex)], TypeError),
    ("x", TypeError),
    (None, TypeError),
    ([np.array([np.nan])], ValueError),
    ({}, ValueError),
    ([], ValueError),
    ((a for a in [np.ones(2)]), TypeError),
    ([1, 2], TypeError),
    (True, TypeError),
    ([[np.ones(2), "x"]], TypeError),
    ({"a": None}, TypeError),
    ([np.array([np.inf])], ValueError),
    (b"bytes", TypeError),
    ({1.0}, TypeError),
    ([np.ones(2, dtype=bool)], TypeError),
    ({"w": [1.0, 2]}, TypeError),
    ([(np.ones(2), np.array(["a"]))], TypeError),
    (1 + 2j, TypeError),
    ([np.array(["x"])], TypeError),
    ([np.ones((2, 2), dtype=np.int8)], TypeError),
    ({"w": {"v": 1}}, TypeError),
    ([np.ones(2), [np.ones(2), np.nan]], ValueError),
    ((np.ones(2), object()), TypeError),
    ([np.datetime64("2024-01-01")], TypeError),
]
BAD_STRUCTURES = [(3, TypeError), ("x", TypeError), (None, TypeError), (np.arange(3.0), TypeError)]
BAD_STRUCTURES += [
    ([np.ones(2), "x"], TypeError),
    ([], ValueError),
    ([np.array([np.nan])], ValueError),
]
BAD_STRUCTURES += [([np.ones(2, complex)], TypeError), ([{"a": np.ones(2)}], TypeError)]

NETWORK_SIZES = [([], EITHER), ([3], EITHER), ([0, 2], EITHER), ([-1, 2], EITHER)]
NETWORK_SIZES += [([2.5, 1], EITHER), ("2,2", EITHER), (None, EITHER), ([True, 2], EITHER)]
NETWORK_SIZES += [(5, EITHER), ([3, "4"], EITHER)]
ACTIVATIONS = [("nope", EITHER), (3, EITHER), (None, EITHER), (["tanh"], EITHER)]
ACTIVATIONS += [(["tanh", "tanh", "tanh"], EITHER), ([3, "tanh"], EITHER), ("", EITHER)]
COSTS = [("nope", EITHER), (3, EITHER), (None, EITHER), (["squared_error"], EITHER)]
REDUCTIONS = [("avg", EITHER), (3, EITHER), (None, EITHER), ("MEAN", EITHER)]
LAYOUTS = [("cols", ValueError), (3, TypeError), (None, TypeError), (object(), TypeError)]
LAYOUTS += [("", ValueError), (["rows"], TypeError)]
SPECS = [(3, TypeError), (None, TypeError), ("nofile.py:f", ValueError), ("x", ValueError)]
SPECS += [(":f", ValueError), ("a.py:", ValueError), ("a.py:1x", ValueError), ([], TypeError)]
SPECS += [("a.py:f.", ValueError), ("no_such_module_xyz:f", ValueError)]


def api_cases():
    """(id, call, name, exception) for every bad argument."""
    cases = []

    def add(function, name, values, **kwargs):
        for i, (value, error) in enumerate(values):
            arguments = {**kwargs, name: value}
            label = f"{function.__name__}-{name}-{i}"
            cases.append((label, function, arguments, name, error))

    check = verify.check_gradients
    add(check, "grad_fn", BAD_CALLABLES, **ARCH)
    no_none = [(value, error) for value, error in BAD_POSITIVE_INTS if value is not None]
    for name, values in [("seed", BAD_INTS), ("n_samples", no_none)]:  # n_samples=None: default
        add(check, name, values, grad_fn=grad_fn, **ARCH)
    for name, values in [("rtol", BAD_TOLERANCES), ("atol", BAD_TOLERANCES)]:
        add(check, name, values, grad_fn=grad_fn, **ARCH)
    add(check, "dtype", BAD_DTYPES, grad_fn=grad_fn, **ARCH)
    add(check, "layout", LAYOUTS, grad_fn=grad_fn, **ARCH)
    add(check, "reduction", REDUCTIONS, grad_fn=grad_fn, **ARCH)
    network = {"activations": "tanh", "cost": "squared_error"}
    add(check, "sizes", NETWORK_SIZES, grad_fn=grad_fn, **network)
    add(check, "activations", ACTIVATIONS, grad_fn=grad_fn, sizes=[3, 4, 2], cost="squared_error")
    add(check, "cost", COSTS, grad_fn=grad_fn, sizes=[3, 4, 2], activations="tanh")
    add(verify.assert_gradients, "seed", BAD_INTS[:4], grad_fn=grad_fn, **ARCH)
    add(verify.assert_gradients, "sizes", NETWORK_SIZES[:4], grad_fn=grad_fn, **network)

    box = {"loss_fn": loss_fn, "grad_fn": gradient, "params": [np.ones(2)]}
    for name, values in [("loss_fn", BAD_CALLABLES), ("grad_fn", BAD_CALLABLES)]:
        add(verify.gradcheck, name, values, **{**box, name: None})
    add(verify.gradcheck, "params", BAD_PARAMS, loss_fn=loss_fn, grad_fn=gradient)
    add(verify.gradcheck, "method", BAD_METHODS, **box)
    add(verify.gradcheck, "seed", BAD_INTS, **box)
    for name in ("rtol", "atol"):
        add(verify.gradcheck, name, BAD_TOLERANCES, **box)
    add(verify.gradcheck, "step", [(0.0, ValueError), *BAD_TOLERANCES], **box)
    add(
        verify.gradcheck, "reference", [("x", TypeError), (3, TypeError), ([1.0], TypeError)], **box
    )
    add(verify.assert_gradcheck, "params", BAD_PARAMS[:6], loss_fn=loss_fn, grad_fn=gradient)
    add(verify.assert_gradcheck, "method", BAD_METHODS[:2], **box)

    numeric_fd = {"loss": loss_fn, "params": [np.ones(2)]}
    add(verify.numerical_gradient, "loss", BAD_CALLABLES, params=[np.ones(2)])
    add(verify.numerical_gradient, "params", BAD_STRUCTURES, loss=loss_fn)
    add(verify.numerical_gradient, "method", BAD_METHODS, **numeric_fd)
    add(verify.numerical_gradient, "step", [(0.0, ValueError), *BAD_TOLERANCES], **numeric_fd)

    directional = {"loss": loss_fn, "grad": [np.ones(2)], "params": [np.ones(2)]}
    add(verify.directional_check, "loss", BAD_CALLABLES, **{**directional, "loss": None})
    add(verify.directional_check, "params", BAD_STRUCTURES, loss=loss_fn, grad=[np.ones(2)])
    add(
        verify.directional_check,
        "grad",
        [([np.ones(3)], ValueError), (3, TypeError)],
        **directional,
    )
    add(verify.directional_check, "n_directions", BAD_POSITIVE_INTS, **directional)
    add(verify.directional_check, "seed", BAD_INTS, **directional)
    add(verify.directional_check, "method", BAD_METHODS, **directional)
    add(verify.directional_check, "rtol", BAD_TOLERANCES, **directional)

    compare = {"candidate": [np.ones(2)], "reference": [np.ones(2)]}
    add(verify.compare_gradients, "reference", BAD_STRUCTURES, candidate=[np.ones(2)])
    for name in ("rtol", "atol"):
        add(verify.compare_gradients, name, BAD_TOLERANCES, **compare)
    bad_dtypes = [("banana", TypeError), (np.int32, TypeError), ("complex128", TypeError)]
    add(verify.compare_gradients, "dtype", bad_dtypes, **compare)
    wrong_shape = [([np.ones(2), np.ones(2)], ValueError), (3, ValueError)]
    add(verify.compare_gradients, "uncertainty", wrong_shape, **compare)
    add(verify.compare_gradients, "kinks", wrong_shape, **compare)
    add(
        default_tolerances,
        "dtype",
        [("banana", TypeError), (None, TypeError), (np.int8, TypeError)],
    )
    add(default_tolerances, "reference", [("nope", ValueError), (3, ValueError)])

    net = Network([3, 4, 2], "tanh", "squared_error")
    problem = {"network": net}
    add(make_problem, "n_samples", BAD_POSITIVE_INTS, **problem)
    add(make_problem, "seed", BAD_INTS, **problem)
    add(make_problem, "dtype", BAD_DTYPES, **problem)
    add(load_function, "spec", SPECS)
    add(get_layout, "layout", LAYOUTS[:1])  # get_layout(value): the message names `layout`
    bad_networks = [(3, TypeError), (None, TypeError), ("net", TypeError)]
    add(verify.network_gradient, "network", bad_networks, X=np.ones((3, 3)), y=np.ones((3, 2)))
    return cases


CASES = api_cases()


def test_there_are_hundreds_of_api_cases():
    assert len(CASES) >= 320


@pytest.mark.parametrize(
    ("call", "arguments", "name", "error"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_bad_argument_is_refused_by_name(call, arguments, name, error):
    if call is get_layout:
        arguments = {"value": arguments["layout"]}
    with pytest.raises(error) as caught:
        call(**arguments)
    message = str(caught.value)
    assert re.search(rf"`{re.escape(name)}[`\[(]|{re.escape(name)}'s name", message), message
    assert " must " in message or "is not defined" in message, message


def test_a_reference_from_other_params_or_with_a_method_is_refused():
    reference = reference_elsewhere()
    box = {"loss_fn": loss_fn, "grad_fn": gradient, "params": [np.ones(2)]}
    with pytest.raises(ValueError, match="`reference` must be computed at these `params`"):
        verify.gradcheck(**box, reference=reference)
    same = {**box, "params": [np.array([3.0, 4.0])]}
    with pytest.raises(ValueError, match="`method and step` must be None when `reference`"):
        verify.gradcheck(**same, reference=reference, method="central")


# -- the command line ---------------------------------------------------------------------------

MODULE = "import numpy as np\n\ndef gradients(params, X, y):\n    return params\n\nVALUE = 3\n"


@pytest.fixture(autouse=True)
def elsewhere(tmp_path, monkeypatch):
    """Every case runs in an empty directory: an output path wrongly accepted writes there."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    (root / "user.py").write_text(MODULE)
    (root / "a_file").write_text("not a directory")
    (root / "a_dir").mkdir()
    return root


def run(argv, capsys) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``chainrule argv``, in-process."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


NET = ["--sizes", "3,4,2", "--activation", "tanh", "--cost", "squared_error"]


def cli_cases():
    """(id, argv template, exit status, option the message names). "{user}", "{file}", "{dir}"
    stand for a valid module, a file and a directory."""
    cases = []

    def bad(command, option, values, *, base=(), code=2, names=None):
        for value in values:
            argv = [*command, *base, option, value] if option else [*command, *base, value]
            cases.append((argv, code, names or option))

    # top level
    cases += [([], 2, "COMMAND"), (["frobnicate"], 2, "frobnicate"), (["--bogus"], 2, "COMMAND")]
    cases += [(["verify", "frobnicate"], 2, "frobnicate")]
    # verify
    bad(["verify"], "--seeds", ["-1", "x", "1.5", "", "-3", "1e3", "0x10"])
    bad(["verify"], "--format", ["nope", "", "pdf", "md,json", "xml", "MD5"])
    bad(["verify"], "--output", ["{file}", "{file}/sub", ""])
    cases += [(["verify", "--seeds"], 2, "--seeds"), (["verify", "--bogus"], 2, "--bogus")]
    # derive
    bad(["derive"], "--sizes", ["x", "-1,2", "0,2", "", "2,,1", "2.5,1", "2;1", "1,-1", "a,b"])
    bad(["derive"], "--activation", ["nope", "tanh,nope", ""], base=["--sizes", "2,1"])
    bad(["derive"], "--cost", ["nope", ""], base=["--sizes", "2,1"])
    bad(["derive"], "--format", ["nope", "pdf", ""], base=["--sizes", "2,1"])
    bad(["derive"], "--seed", ["-1", "x", "1.5"], base=["--sizes", "2,1"])
    cases += [(["derive"], 2, "--sizes"), (["derive", "--sizes", "2,1", "--bogus"], 2, "--bogus")]
    # report
    bad(["report"], "--output", ["{file}", "{file}/sub", ""])
    cases += [(["report", "--bogus"], 2, "--bogus"), (["report", "--output"], 2, "--output")]
    # site (argparse only: the site is built before it writes)
    cases += [(["site", "--bogus"], 2, "--bogus"), (["site", "--output"], 2, "--output")]
    # train
    bad(["train", "xor"], "--epochs", ["0", "-1", "x", "1.5", ""])
    bad(["train", "xor"], "--seed", ["-1", "x"])
    bad(["train", "xor"], "--learning-rate", ["x", ""])
    bad(["train", "xor"], "--optimizer", ["nope", ""])
    bad(["train", "xor"], "--batch-size", ["0", "x"])
    bad(["train", "xor"], "--hidden", ["x", "-1", "0", "", "2,x", "4,0"])
    bad(["train", "xor"], "--activation", ["nope"])
    bad(["train", "xor"], "--cost", ["nope"])
    cases += [(["train"], 2, "DATA"), (["train", "xor", "--bogus"], 2, "--bogus")]
    # audit
    bad(["audit"], "--seeds", ["0", "-1", "x", "1.5", ""])
    bad(["audit"], "--format", ["nope", "pdf"])
    bad(["audit"], "--output", ["{file}", "{file}/sub", ""])
    cases += [(["audit", "--bogus"], 2, "--bogus")]
    # oracle: every option, all refused before any user code runs
    spec = ["{user}:gradients"]
    bad(["oracle"], "--sizes", ["x", "-1,2", "0,2", "", "2,,1", "2.5", "-2"], base=spec)
    named = [*spec, "--activation", "tanh", "--cost", "squared_error"]
    bad(["oracle"], "--sizes", ["2"], base=named, names="sizes")
    bad(["oracle"], "--sizes", ["99999,99999", "2000,2000,2000"], base=named, names="--sizes")
    bad(["oracle"], "--sizes", ["x", "-1,2", "0,2", "2,,1"], base=named)
    full = [*spec, "--sizes", "3,4,2"]
    base = [*full, "--cost", "squared_error"]
    bad(["oracle"], "--activation", ["nope", "tanh,nope", "", "tanh,,identity"], base=base)
    bad(["oracle"], "--activation", ["tanh,tanh,tanh"], base=base, names="activation")
    bad(["oracle"], "--cost", ["nope", ""], base=[*full, "--activation", "tanh"])
    bad(["oracle"], "--layout", ["nope", ""], base=[*spec, *NET])
    bad(["oracle"], "--reduction", ["avg", ""], base=[*spec, *NET])
    bad(["oracle"], "--dtype", ["float16", "int32", ""], base=[*spec, *NET])
    bad(["oracle"], "--seed", ["-1", "x", "1.5", ""], base=[*spec, *NET])
    bad(["oracle"], "--n-samples", ["0", "-1", "x", ""], base=[*spec, *NET])
    bad(["oracle"], "--n-samples", ["5000000"], base=[*spec, *NET])
    bad(["oracle"], "--timeout", ["0", "-1", "x", "inf", "nan", "", "1e7"], base=[*spec, *NET])
    bad(["oracle"], "--memory-limit", ["1K", "x", "-1G", "1.5X", "12", "0.01G"], base=[*spec, *NET])
    bad(["oracle"], "--format", ["nope", "pdf"], base=[*spec, *NET])
    html = [*spec, *NET, "--format", "html"]
    bad(["oracle"], "--output", ["{file}", "{file}/sub", ""], base=html)
    cases += [(["oracle", *NET], 2, "function"), (["oracle", *spec, *NET, "--bogus"], 2, "--bogus")]
    cases += [(["oracle", *spec, *NET, "--output", "{dir}"], 2, "--output")]
    for option in ["--sizes", "--activation", "--cost", "--layout", "--seed", "--timeout"]:
        cases.append((["oracle", *spec, *NET, option], 2, option))
    for option in ["--reduction", "--dtype", "--n-samples", "--memory-limit", "--format"]:
        cases.append((["oracle", *spec, *NET, option], 2, option))
    cases += [(["oracle", *spec, "--activation", "tanh"], 2, "--sizes")]
    functions = ["nofile.py:f", "x", ":f", "{user}:", "{user}:1bad", "{dir}:f", "bad name:f"]
    functions += ["{user}:a-b", "{user}::f", "no/such/dir/f.py:f", "{user}:f()", "1module:f"]
    for function in functions:
        cases.append((["oracle", function, *NET], 2, "spec"))
    # bench
    bad(["bench"], "", ["nope", "", "train,check", "TRAIN"], names="what")
    bad(["bench", "train"], "--output", ["{dir}", "", "{file}/sub"])
    cases += [(["bench"], 2, "what"), (["bench", "train", "--bogus"], 2, "--bogus")]
    cases += [(["bench", "train", "--output"], 2, "--output")]
    for command in ["verify", "report", "site", "audit"]:
        cases.append(([command, "--no-such-option=1", "--also-not"], 2, "no-such-option"))
    for command in ["derive", "train", "oracle", "bench"]:  # their required arguments first
        cases.append(([command, "--no-such-option=1"], 2, "required"))
    return cases


CLI_CASES = cli_cases()


def test_there_are_hundreds_of_cases_in_all():
    assert len(CLI_CASES) >= 185
    assert len(CASES) + len(CLI_CASES) >= 500


@pytest.mark.parametrize(
    ("argv", "code", "names"), CLI_CASES, ids=[" ".join(case[0]) for case in CLI_CASES]
)
def test_a_bad_command_line_exits_with_one_line_naming_the_option(paths, capsys, argv, code, names):
    argv = [
        part.replace("{user}", str(paths / "user.py"))
        .replace("{file}", str(paths / "a_file"))
        .replace("{dir}", str(paths / "a_dir"))
        for part in argv
    ]
    status, out, err = run(argv, capsys)
    assert status == code, err
    assert out == ""
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith("chainrule"), line
    assert names.lstrip("-") in line, line


def test_a_missing_name_in_the_module_is_a_usage_error_found_in_the_child(paths, capsys):
    status, out, err = run(["oracle", f"{paths / 'user.py'}:missing", *NET], capsys)
    assert status == 2 and out == "" and "Traceback" not in err
    assert "spec's name 'missing' is not defined" in err and "gradients" in err
    status, out, err = run(["oracle", f"{paths / 'user.py'}:VALUE", *NET], capsys)
    assert status == 2 and "`spec` must name a callable, got VALUE = int" in err


MALFORMED = st.text(alphabet="0123456789-.,xe ", min_size=0, max_size=8)


def invalid_sizes(text: str) -> bool:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        return True
    return any(size < 1 for size in sizes) or len(sizes) < 2


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(MALFORMED.filter(invalid_sizes))
def test_random_malformed_sizes_name_the_option(paths, capsys, text):
    named = ["--activation", "tanh", "--cost", "squared_error"]
    argv = ["oracle", f"{paths / 'user.py'}:gradients", f"--sizes={text}", *named]
    status, out, err = run(argv, capsys)
    assert status == 2 and out == "" and "Traceback" not in err
    assert "sizes" in err and len(err.strip().splitlines()) == 1


def not_a_seed(text: str) -> bool:
    return not re.fullmatch(r"\s*\d+\s*", text)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(MALFORMED.filter(not_a_seed), st.sampled_from(["--seed", "--n-samples", "--timeout"]))
def test_random_malformed_numbers_name_the_option(paths, capsys, text, option):
    if option == "--timeout":
        try:
            if 0 < float(text) < 1e6:
                return  # a valid timeout
        except ValueError:
            pass
    argv = ["oracle", f"{paths / 'user.py'}:gradients", *NET, f"{option}={text}"]
    status, out, err = run(argv, capsys)
    assert status == 2 and out == "" and "Traceback" not in err
    assert f"argument {option}" in err and len(err.strip().splitlines()) == 1
