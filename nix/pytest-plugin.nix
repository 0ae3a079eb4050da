# The fixture-mode pytest plugin as a Python package, so the test driver's
# interpreter can import it and the build's type check (ty/mypy) and lint see
# a real, annotated module.
{ python3Packages }:
python3Packages.buildPythonPackage {
  pname = "nixos-test-pytest";
  version = "0.1.0";
  pyproject = true;
  src = ../crates/runner/python;
  build-system = [ python3Packages.setuptools ];
  dependencies = [ python3Packages.pytest ];
  pythonImportsCheck = [ "nixos_test_pytest" ];
}
