# A NixOS test module adding the option `usePytestFixtures`.
#
#   runTest { imports = [ nixos-test-tools.nixosTestModules.fixtures ]; usePytestFixtures = true; ... }
#
# When true, the module-level `def test_*(server, client):` functions of the
# testScript run with pytest after the script's module-level code, each
# parameter resolved to the machine of that name. A script without test_
# functions runs exactly as before. Needs a nixpkgs whose `testScript` is of
# type `lines` (mergeable; nixpkgs #552059).
{ config, lib, hostPkgs, options, ... }:
let
  plugin = hostPkgs.callPackage ./pytest-plugin.nix { };

  # A second QMP socket per VM for nixos-test-run (status, screendumps,
  # clean cancellation); the driver keeps its own. $TMPDIR is the VM's
  # state directory when the driver starts it.
  runnerQmp = { config, ... }: {
    virtualisation.qemu.options = [
      "-qmp unix:\${NIXOS_TEST_RUNNER_QMP_DIR:-$TMPDIR}/${config.system.name}.runner-qmp,server=on,wait=off"
    ];
  };
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

  config = lib.mkIf config.usePytestFixtures ({
    extraPythonPackages = p: [ p.pytest (p.callPackage ./pytest-plugin.nix { }) ];

    # Runs after the script's own module-level code; `driver.tests` is the
    # script text the driver runs.
    testScript = lib.mkAfter ''

      import nixos_test_pytest
      nixos_test_pytest.main(globals(), source=driver.tests)
    '';

    passthru.pytestPlugin = plugin;
  }
  # QEMU flags are for VMs only: `nodeDefaults` where the test framework
  # has containers too (whose `defaults` apply to both, and a container
  # has no `virtualisation.qemu`); `defaults` before it had them.
  // (if options ? nodeDefaults then { nodeDefaults = runnerQmp; } else { defaults = runnerQmp; }));
}
