# A NixOS test module adding the option `usePytestFixtures`.
#
#   runTest { imports = [ nixos-test-tools.nixosTestModules.fixtures ]; usePytestFixtures = true; ... }
#
# When true, the module-level `def test_*(server, client):` functions of the
# testScript run with pytest after the script's module-level code, each
# parameter resolved to the machine of that name. A script without test_
# functions runs exactly as before. Needs a nixpkgs whose `testScript` is of
# type `lines` (mergeable; nixpkgs #552059). It sets nothing on the nodes:
# nixos-test-run reaches every VM over QMP through `QEMU_OPTS`, whatever the
# test imports.
{ config, lib, hostPkgs, ... }:
let
  plugin = hostPkgs.callPackage ./pytest-plugin.nix { };
in
{
  options.usePytestFixtures = lib.mkOption {
    type = lib.types.bool;
    default = false;
    description = ''
      Run the testScript's module-level `test_*` functions with pytest, with
      the nodes (and `driver`, `machines`, `vlan<N>`) as fixtures.
    '';
  };

  config = lib.mkIf config.usePytestFixtures {
    extraPythonPackages = p: [ p.pytest (p.callPackage ./pytest-plugin.nix { }) ];

    # Runs after the script's own module-level code; `driver.tests` is the
    # script text the driver runs.
    testScript = lib.mkAfter ''

      import nixos_test_pytest
      nixos_test_pytest.main(globals(), source=driver.tests)
    '';

    passthru.pytestPlugin = plugin;
  };
}
