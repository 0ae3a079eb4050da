"""Dumps what a script can reach of the real driver (run by
real_driver.rs with the Python and PYTHONPATH prepare.py gives): for each
class the public methods (with their parameters: name, kind, whether it has
a default) and attributes (class annotations and properties), inherited ones
included, and the script's global names, read from `Driver.test_symbols`'s
source. Usage: dump_api.py GENERATION. Prints JSON."""

import ast
import inspect
import json
import sys
import textwrap

import test_driver.driver as driver_module
import test_driver.logger as logger_module
import test_driver.machine as machine_module
import test_driver.vlan as vlan_module

KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_POSITIONAL: "var_args",
    inspect.Parameter.VAR_KEYWORD: "var_keywords",
}


def describe(cls):
    methods, attributes = {}, set()
    for klass in reversed(cls.__mro__):
        if klass is object or klass.__module__.split(".")[0] != "test_driver":
            continue
        attributes.update(n for n in getattr(klass, "__annotations__", {}) if not n.startswith("_"))
        for name, value in vars(klass).items():
            if name.startswith("_"):
                continue
            if isinstance(value, property) or type(value).__name__ == "cached_property":
                attributes.add(name)
                methods.pop(name, None)
                continue
            function = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
            if not callable(function):
                continue
            params = list(inspect.signature(function).parameters.values())
            if not isinstance(value, staticmethod):
                params = params[1:]
            methods[name] = [[p.name, KINDS[p.kind], p.default is not inspect.Parameter.empty] for p in params]
            attributes.discard(name)
    return {"methods": methods, "attributes": sorted(attributes - set(methods))}


def script_globals():
    """The keys `test_symbols` puts in the script's namespace besides the
    machines and VLans: keywords of `dict(...)`, string keys of dict
    literals and of subscript assignments."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(driver_module.Driver.test_symbols)))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            names.update(k.arg for k in node.keywords if k.arg)
        elif isinstance(node, ast.Dict):
            names.update(k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value.isidentifier())
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant) and isinstance(t.slice.value, str):
                    names.add(t.slice.value)
    names.discard("machine")
    return sorted(names)


def main():
    generation = sys.argv[1]
    if generation == "2025":
        classes = {"Machine": machine_module.Machine}
    else:
        classes = {n: getattr(machine_module, n) for n in ("BaseMachine", "QemuMachine", "NspawnMachine")}
    classes.update(Driver=driver_module.Driver, VLan=vlan_module.VLan, AbstractLogger=logger_module.AbstractLogger)
    print(json.dumps({"classes": {n: describe(c) for n, c in classes.items()}, "globals": script_globals()}))


if __name__ == "__main__":
    main()
