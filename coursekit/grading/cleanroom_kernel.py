"""The clean room's code inside the grading kernels (cleanroom.py sends this file's text; it runs with `exec`).

One function, `install`, builds a module with a random name in `sys.modules` of the kernel it runs in:

- in the *student* kernel (before any student code): `dump_many(names)` reads the student's values and encodes
  them as plain JSON; `call(name, payload)` calls one of the student's functions with decoded arguments and
  encodes its result;
- in the *checker* kernel (which never runs student code): `bind(payload)` decodes the values and binds them in
  the tests' namespace; a student's function becomes a proxy whose call goes, through the kernel's stdin channel
  and the grader, to `call` in the student kernel.

The encoding takes values by exact type only (no subclass, no object whose own code could run): None, bool, int,
float, str; list, tuple, dict, set and frozenset of encodable values; NumPy scalars, and arrays of numeric or
boolean dtype; pandas Series and DataFrame whose columns are numbers, booleans or text, with a RangeIndex or a plain
index. Anything else is refused with a message the student can act on. Decoding accepts that JSON only, checks
every part again, and builds new objects with the checker's own NumPy and pandas. No pickle; nothing of the student
kernel is ever rebuilt as it was. The student kernel's copy can be changed by the student: that can only change
what the student's own values decode to, which the student controls anyway.

Standard library only at import; NumPy and pandas are used when the kernel has them.
"""


def install(name, role, allowed_modules, limits, namespace=None, folder=None):  # noqa: C901, PLR0915 - one closure, so that it holds its own references
    import builtins
    import importlib
    import json
    import math
    import os
    import sys
    import types

    # Saved before any student code runs: a student's cells may shadow or replace these later.
    _type, _len, _isinstance, _issubclass, _callable = type, len, isinstance, issubclass, callable
    _list, _dict, _tuple, _set, _frozenset, _str, _int, _float, _bool = list, dict, tuple, set, frozenset, str, int, float, bool
    _range, _enumerate, _repr, _getattr, _hasattr, _max = range, enumerate, repr, getattr, hasattr, max
    _BaseException, _Exception, _KeyboardInterrupt = BaseException, Exception, KeyboardInterrupt
    _dumps, _loads, _isfinite = json.dumps, json.loads, math.isfinite
    _modules, _import = sys.modules, importlib.import_module
    _stdlib = _frozenset(sys.stdlib_module_names)
    _ModuleType, _NoneType = types.ModuleType, _type(None)
    _chdir = os.chdir
    _sys = sys
    import io

    _StringIO = io.StringIO
    max_stream = 100_000  # characters of a call's stdout and stderr passed on to the test cell
    _builtins = builtins
    if namespace is None:  # in a kernel; `namespace` is given by tests that run the encoder in-process
        from IPython import get_ipython

        ip = get_ipython()
        user_ns = ip.user_ns
    else:
        ip, user_ns = None, namespace
    max_items, max_depth, max_chars = limits["items"], limits["depth"], limits["chars"]
    allowed = _frozenset(allowed_modules)
    PLAIN = (_bool, _int, _float, _str, _list, _tuple, _dict, _set, _frozenset)
    NUMERIC = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
               "float16", "float32", "float64")
    cache = {}

    class Refused(_Exception):
        """A value that cannot be graded; the message says what to change."""

    class Bad(_Exception):
        """JSON that is not what the encoder makes."""

    def numpy():
        if "np" not in cache and "numpy" in _modules:
            np = _modules["numpy"]
            cache["np"] = np
            cache["np_scalars"] = {np.dtype(n).type: n for n in NUMERIC}
            cache["np_array"] = np.ndarray
            cache["np_dtype"] = np.dtype
        return cache.get("np")

    def pandas():
        if "pd" not in cache and "pandas" in _modules:
            pd = _modules["pandas"]
            cache["pd"] = pd
            cache["pd_types"] = (pd.Series, pd.DataFrame, pd.Index, pd.RangeIndex, pd.StringDtype)
        return cache.get("pd")

    def type_name(t):
        try:
            text = _type.__dict__["__name__"].__get__(t)
        except _Exception:
            text = "an unknown type"
        return text if _type(text) is _str else "an unknown type"

    def refuse_type(v):
        t = _type(v)
        for base in PLAIN:
            if _issubclass(t, base):
                plain = type_name(base)
                return Refused(f"must be a plain {plain}, got a subclass of {plain} ({type_name(t)[:60]}): "
                               f"use {plain}(...) to make one")
        return Refused(f"must be a plain value (a number, text, list, tuple, dict, set, NumPy array or pandas "
                       f"Series/DataFrame), got {type_name(t)[:60]}")

    def count(budget, n=1):
        budget[0] -= n
        if budget[0] < 0:
            raise Refused(f"is too large to grade (more than {max_items} values)")

    # ---- encoding (student kernel: values and results; checker: arguments) ----

    def enc(v, depth, budget):
        try:
            return enc_one(v, depth, budget)
        except Refused as exc:
            if _len(exc.args) == 1 and depth > 0:
                raise Refused(exc.args[0], True) from None
            raise

    def enc_one(v, depth, budget):
        count(budget)
        if depth > max_depth:
            raise Refused(f"is nested too deeply (more than {max_depth} levels)")
        t = _type(v)
        if t is _NoneType or t is _bool or t is _int or t is _str:
            return v
        if t is _float:
            return v if _isfinite(v) else {"float": _repr(v)}
        if t is _list:
            return {"list": [enc(x, depth + 1, budget) for x in v]}
        if t is _tuple:
            return {"tuple": [enc(x, depth + 1, budget) for x in v]}
        if t is _set:
            return {"set": [enc(x, depth + 1, budget) for x in v]}
        if t is _frozenset:
            return {"frozenset": [enc(x, depth + 1, budget) for x in v]}
        if t is _dict:
            return {"dict": [[enc(k, depth + 1, budget), enc(x, depth + 1, budget)] for k, x in _dict.items(v)]}
        np = numpy()
        if np is not None:
            scalars = cache["np_scalars"]
            if t in scalars:
                return {"npscalar": scalars[t], "v": enc(v.item(), depth + 1, budget)}
            if t is cache["np_array"]:
                return enc_array(v, budget)
        pd = pandas()
        if pd is not None:
            series, frame, index, range_index, _strings = cache["pd_types"]
            if t is series:
                return {"series": enc_column(v, budget), "index": enc_index(v.index, budget),
                        "name": enc_label(v.name)}
            if t is frame:
                return {"frame": [enc_column(v.iloc[:, i], budget) for i in _range(v.shape[1])],
                        "columns": enc_index(v.columns, budget), "index": enc_index(v.index, budget)}
            if t is index or t is range_index:
                return {"index": enc_index(v, budget)}
        raise refuse_type(v)

    def enc_array(v, budget):
        dtype = v.dtype
        if dtype.name not in NUMERIC:
            raise Refused(f"must be a NumPy array of numbers or booleans, got one of dtype {_str(dtype)[:40]}")
        count(budget, int(v.size))
        return {"ndarray": dtype.name, "shape": [int(n) for n in v.shape],
                "v": [x if _type(x) is not _float or _isfinite(x) else {"float": _repr(x)}
                      for x in v.ravel().tolist()]}

    def enc_values(values, kind, budget):
        out = []
        for x in values:
            count(budget)
            t = _type(x)
            if t is _float and not _isfinite(x):
                out.append({"float": _repr(x)})
            elif kind == "str" and t is not _str and t is not _float or kind == "string" and t not in (_str, _NoneType):
                raise Refused(f"holds {type_name(t)[:40]} in a text column: only text and missing values")
            elif t in (_NoneType, _bool, _int, _float, _str):
                out.append(x)
            elif numpy() is not None and t in cache["np_scalars"]:
                out.append({"npscalar": cache["np_scalars"][t], "v": enc(x.item(), 1, budget)})
            else:
                raise refuse_type(x)
        return out

    def enc_column(s, budget):
        dtype = s.dtype
        numpy()
        pd = pandas()
        if _isinstance(dtype, cache["np_dtype"]) and dtype.name in NUMERIC:
            count(budget, _len(s))
            return {"dtype": dtype.name,
                    "v": [x if _type(x) is not _float or _isfinite(x) else {"float": _repr(x)}
                          for x in s.to_numpy().tolist()]}
        if _isinstance(dtype, cache["np_dtype"]) and dtype.name == "object":
            return {"dtype": "object", "v": enc_values(s.to_numpy().tolist(), "object", budget)}
        if pd is not None and _type(dtype) is cache["pd_types"][4] and _str(dtype) in ("str", "string"):
            kind = _str(dtype)
            values = [None if x is pd.NA else x for x in s.to_numpy().tolist()] if kind == "string" else s.to_numpy().tolist()
            return {"dtype": kind, "v": enc_values(values, kind, budget)}
        raise Refused(f"has values of dtype {_str(dtype)[:40]}: only numbers, booleans and text can be graded")

    def enc_index(ix, budget):
        series, frame, index, range_index, _strings = cache["pd_types"]
        t = _type(ix)
        if t is range_index:
            return {"range": [int(ix.start), int(ix.stop), int(ix.step)], "name": enc_label(ix.name)}
        if t is index:
            return {"values": enc_column(series(ix.to_numpy(), dtype=ix.dtype, copy=False), budget),
                    "name": enc_label(ix.name)}
        raise Refused(f"has an index of type {type_name(t)[:40]}: use a plain index (reset_index())")

    def enc_label(v):
        if _type(v) in (_NoneType, _bool, _int, _str) or (_type(v) is _float and _isfinite(v)):
            return v
        raise Refused("has a name or label that is not a plain number or text")

    def encode(v, what):
        """JSON text {"ok": ...} or {"refused": message}."""
        try:
            text = _dumps({"ok": enc(v, 0, [max_items])}, allow_nan=False)
        except Refused as exc:
            detail = exc.args[0]
            if _len(exc.args) > 1 and exc.args[1]:
                detail = "holds a value that " + detail
            return _dumps({"refused": f"{what} {detail}"})
        except RecursionError:
            return _dumps({"refused": f"{what} is nested too deeply"})
        except _Exception as exc:
            return _dumps({"refused": f"{what} could not be read ({type_name(_type(exc))})"})
        if _len(text) > max_chars:
            return _dumps({"refused": f"{what} is too large to grade (more than {max_chars} characters as text)"})
        return text

    # ---- decoding (strict: the JSON the encoder makes, nothing else) ----

    def dec(x, depth, budget):
        budget[0] -= 1
        if budget[0] < 0 or depth > max_depth:
            raise Bad("too large or too deep")
        t = _type(x)
        if t is _NoneType or t is _bool or t is _int or t is _str or t is _float:
            return x
        if t is not _dict or _len(x) == 0:
            raise Bad("unexpected " + type_name(t))
        keys = _set(x)
        if keys == {"float"}:
            return dec_float(x)
        for kind, build in (("list", _list), ("tuple", _tuple), ("set", _set), ("frozenset", _frozenset)):
            if keys == {kind}:
                items = x[kind]
                if _type(items) is not _list:
                    raise Bad(kind)
                return build([dec(i, depth + 1, budget) for i in items])
        if keys == {"dict"}:
            pairs = x["dict"]
            if _type(pairs) is not _list or not all(_type(p) is _list and _len(p) == 2 for p in pairs):
                raise Bad("dict")
            return {dec(k, depth + 1, budget): dec(v, depth + 1, budget) for k, v in pairs}
        if keys == {"npscalar", "v"}:
            return dec_scalar(x)
        if keys == {"ndarray", "shape", "v"}:
            return dec_array(x, budget)
        if keys == {"series", "index", "name"}:
            pd = need("pandas")
            values, dtype = dec_column(x["series"], budget)
            index = dec_index(x["index"], budget)
            if _len(values) != _len(index):
                raise Bad("series length")
            return pd.Series(values, index=index, name=dec_label(x["name"]), dtype=dtype)
        if keys == {"frame", "columns", "index"}:
            pd = need("pandas")
            columns = dec_index(x["columns"], budget)
            index = dec_index(x["index"], budget)
            if _type(x["frame"]) is not _list or _len(x["frame"]) != _len(columns):
                raise Bad("frame columns")
            data = {}
            for i, col in _enumerate(x["frame"]):
                values, dtype = dec_column(col, budget)
                if _len(values) != _len(index):
                    raise Bad("frame length")
                data[i] = pd.Series(values, index=index, dtype=dtype)
            frame = pd.DataFrame(data, index=index)
            frame.columns = columns
            return frame
        if keys == {"index"}:
            return dec_index(x["index"], budget)
        raise Bad("unknown tag")

    def need(module):
        if module not in _modules:
            _import(module)
        if module == "numpy":
            numpy()
        else:
            numpy()
            pandas()
        return _modules[module]

    def dec_float(x):
        if x["float"] not in ("nan", "inf", "-inf"):
            raise Bad("float")
        return _float(x["float"])

    def plain_number(v, dtype):
        t = _type(v)
        if _type(v) is _dict and _set(v) == {"float"}:
            v, t = dec_float(v), _float
        if dtype == "bool":
            ok = t is _bool
        elif dtype.startswith(("int", "uint")):
            ok = t is _int
        else:
            ok = t in (_int, _float)
        if not ok:
            raise Bad("number")
        return v

    def dec_scalar(x):
        np = need("numpy")
        dtype = x["npscalar"]
        if dtype not in NUMERIC:
            raise Bad("npscalar dtype")
        return np.dtype(dtype).type(plain_number(x["v"], dtype))

    def dec_array(x, budget):
        np = need("numpy")
        dtype, shape, values = x["ndarray"], x["shape"], x["v"]
        if dtype not in NUMERIC or _type(shape) is not _list or _type(values) is not _list:
            raise Bad("ndarray")
        size = 1
        for n in shape:
            if _type(n) is not _int or n < 0:
                raise Bad("shape")
            size *= n
        if size != _len(values):
            raise Bad("ndarray size")
        budget[0] -= size
        if budget[0] < 0:
            raise Bad("too large")
        return np.array([plain_number(v, dtype) for v in values], dtype=dtype).reshape(shape)

    def dec_column(col, budget):
        np = need("numpy")
        if _type(col) is not _dict or _set(col) != {"dtype", "v"} or _type(col["v"]) is not _list:
            raise Bad("column")
        dtype, values = col["dtype"], col["v"]
        budget[0] -= _len(values)
        if budget[0] < 0:
            raise Bad("too large")
        if dtype in NUMERIC:
            return np.array([plain_number(v, dtype) for v in values], dtype=dtype), dtype
        if dtype in ("object", "str", "string"):
            out = []
            for v in values:
                t = _type(v)
                if t in (_NoneType, _bool, _int, _float, _str):
                    if dtype == "str" and t not in (_str, _float) or dtype == "string" and t not in (_str, _NoneType):
                        raise Bad("text column")
                    out.append(v)
                elif t is _dict and _set(v) == {"float"}:
                    out.append(dec_float(v))
                elif t is _dict and _set(v) == {"npscalar", "v"} and dtype == "object":
                    out.append(dec_scalar(v))
                else:
                    raise Bad("column value")
            if dtype == "object":
                array = np.empty(_len(out), dtype=object)
                for i, v in _enumerate(out):
                    array[i] = v
                return array, object
            return out, dtype
        raise Bad("column dtype")

    def dec_index(x, budget):
        pd = need("pandas")
        if _type(x) is not _dict:
            raise Bad("index")
        if _set(x) == {"range", "name"}:
            r = x["range"]
            if _type(r) is not _list or _len(r) != 3 or not all(_type(n) is _int for n in r) or r[2] == 0:
                raise Bad("range")
            return pd.RangeIndex(r[0], r[1], r[2], name=dec_label(x["name"]))
        if _set(x) == {"values", "name"}:
            values, dtype = dec_column(x["values"], budget)
            return pd.Index(values, dtype=dtype, name=dec_label(x["name"]))
        raise Bad("index")

    def dec_label(v):
        if _type(v) in (_NoneType, _bool, _int, _str, _float):
            return v
        raise Bad("label")

    def decode(text):
        """The value of an {"ok": ...} JSON text; raises Bad for anything else."""
        if _type(text) is not _str or _len(text) > max_chars:
            raise Bad("not text, or too long")
        data = _loads(text)
        if _type(data) is not _dict or _set(data) != {"ok"}:
            raise Bad("no value")
        return dec(data["ok"], 0, [max_items])

    module = _ModuleType(name)
    module.encode, module.decode, module.Refused, module.Bad = encode, decode, Refused, Bad

    if role == "student":

        def dump_many(names_json):
            """{name: {"ok": value} | {"missing": 1} | {"refused": message}} for the names asked, as JSON text."""
            out = {}
            for key in _loads(names_json):
                if key not in user_ns:
                    out[key] = {"missing": 1}
                    continue
                value = user_ns[key]
                t = _type(value)
                if t is _ModuleType:
                    mod_name = _getattr(value, "__name__", None)
                    out[key] = {"module": mod_name} if _type(mod_name) is _str else {"refused": key + " is a module"}
                    continue
                if _callable(value) and not _isinstance(value, _type):
                    out[key] = {"function": 1}
                    continue
                out[key] = _loads(encode(value, key))
            text = _dumps(out)
            if _len(text) > max_chars:
                return _dumps({k: {"refused": k + " is too large to grade"} for k in out})
            return text

        def call(key, payload):
            """Call the student's function `key` with the decoded arguments; the result as JSON text:
            {"ok": value} | {"refused": message} | {"raised": [exception name, message]}."""
            function = user_ns.get(key)
            if function is None or not _callable(function):
                return _dumps({"raised": ["NameError", f"name '{key}' is not defined"]})
            try:
                args = decode(payload)
                if _type(args) is not _tuple or _len(args) != 2 or _type(args[1]) is not _dict:
                    raise Bad("arguments")
            except _Exception:
                return _dumps({"raised": ["RuntimeError", "the arguments could not be passed to your function"]})
            if folder is not None:  # as before each instructor cell: a student's os.chdir does not fail the tests
                try:
                    _chdir(folder)
                except OSError:
                    pass
            # what the call prints goes to the test cell, as when it ran there (nbgrader's stderr rule needs it)
            out, err = _StringIO(), _StringIO()
            saved = (_sys.stdout, _sys.stderr)
            _sys.stdout, _sys.stderr = out, err
            try:
                answer = _loads(run(function, key, args))
            finally:
                _sys.stdout, _sys.stderr = saved
            answer["out"], answer["err"] = out.getvalue()[:max_stream], err.getvalue()[:max_stream]
            return _dumps(answer)

        def run(function, key, args):
            try:
                result = function(*args[0], **args[1])
            except _KeyboardInterrupt:
                return _dumps({"raised": ["TimeoutError", f"{key}() was interrupted: it took too long"]})
            except _BaseException as exc:  # the student's own error, named by its class
                try:
                    message = _str(exc)[:2000]
                except _BaseException:
                    message = ""
                return _dumps({"raised": [type_name(_type(exc))[:80], message if _type(message) is _str else ""]})
            return encode(result, f"the value {key}() returned")

        module.dump_many, module.call = dump_many, call

    else:  # the checker: never runs student code

        class StudentFunctionError(_Exception):
            """An error of the student's function whose class is not a built-in exception."""

        prefix = "\x00coursekit-call:"
        refusals = []

        def printable(text):
            return text.encode("utf-8", "backslashreplace").decode("utf-8") if _type(text) is _str else text

        def raise_from(key, ename, message):
            ename, message = printable(ename), printable(message)  # a lone surrogate would stop the reply
            cls = _getattr(_builtins, ename, None) if _type(ename) is _str else None
            if (
                _type(cls) is _type
                and _issubclass(cls, _Exception)
                and cls is not AssertionError
                and not _issubclass(cls, (StopIteration, StopAsyncIteration))  # would end a map() or loop silently
                and _getattr(cls, "__module__", "") == "builtins"
            ):
                try:
                    raise cls(message)
                except TypeError:
                    pass
            raise StudentFunctionError(f"{ename}: {message}" if message else f"{ename}")

        def proxy_for(key):
            def proxy(*args, **kwargs):
                sent = encode((_list(args), _dict(kwargs)), "an argument given to " + key + "()")
                if "refused" in _loads(sent):
                    raise TypeError(_loads(sent)["refused"])
                reply = ip.kernel.raw_input(prefix + _dumps({"call": key, "args": sent}))
                try:
                    answer = _loads(reply)
                except _Exception:
                    answer = {}
                if _type(answer) is not _dict:
                    answer = {}
                for stream, target in (("out", _sys.stdout), ("err", _sys.stderr)):
                    text = answer.pop(stream, "")
                    if _type(text) is _str and text:
                        target.write(printable(text[:max_stream]))
                if "timeout" in answer:
                    raise TimeoutError(f"{key}() did not finish in time")
                if "raised" in answer:
                    raised = answer["raised"]
                    if _type(raised) is _list and _len(raised) == 2 and all(_type(r) is _str for r in raised):
                        raise_from(key, raised[0], raised[1])
                    raise StudentFunctionError(f"{key}() failed")
                if "refused" in answer and _type(answer["refused"]) is _str:
                    refusals.append(answer["refused"])
                    raise TypeError(answer["refused"])
                if _set(answer) == {"ok"}:
                    try:
                        return dec(answer["ok"], 0, [max_items])
                    except _Exception:
                        pass
                raise StudentFunctionError(f"the value {key}() returned could not be read")

            proxy.__name__ = proxy.__qualname__ = key
            return proxy

        def bind(payload_text):
            """Bind the fetched values in the tests' namespace; the refusal messages, as JSON text."""
            found = []
            payload = _loads(payload_text)
            if _type(payload) is not _dict:
                return _dumps(["the answers could not be read"])
            for key, entry in payload.items():
                if _type(entry) is not _dict or _type(key) is not _str or not key.isidentifier():
                    found.append(f"{key!r} could not be read")
                    continue
                if "missing" in entry:
                    user_ns.pop(key, None)
                elif "refused" in entry:
                    found.append(_str(entry["refused"])[:300])
                    user_ns.pop(key, None)
                elif "function" in entry:
                    user_ns[key] = proxy_for(key)
                elif "module" in entry:
                    mod_name = entry["module"]
                    top = mod_name.split(".")[0] if _type(mod_name) is _str else ""
                    if top in allowed or top in _stdlib:
                        try:
                            user_ns[key] = _import(mod_name)
                        except _Exception:
                            found.append(f"{key}: the module {mod_name} could not be imported for the tests")
                    else:
                        found.append(f"{key} is the module {_str(mod_name)[:60]}, which the assignment does not "
                                     "import: import it in the tests' way or give the value itself")
                elif _set(entry) == {"ok"}:
                    try:
                        user_ns[key] = dec(entry["ok"], 0, [max_items])
                    except _Exception:
                        found.append(f"{key} could not be read as a plain value")
                        user_ns.pop(key, None)
                else:
                    found.append(f"{key} could not be read")
            return _dumps(found)

        module.bind, module.refusals, module.prefix = bind, refusals, prefix

    sys.modules[name] = module
    return name
