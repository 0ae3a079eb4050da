{
  description = "nixos-test-tools: linter, language server and runner for NixOS VM tests";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      nixosTestModules.fixtures = ./nix/fixtures-module.nix;

      packages = forAll (pkgs: {
        pytest-plugin = pkgs.callPackage ./nix/pytest-plugin.nix { };
        default = pkgs.rustPlatform.buildRustPackage {
          pname = "nixos-test-tools";
          version = "0.1.0";
          src = ./.;
          cargoLock.lockFile = ./Cargo.lock;
          # All three: the server runs the runner it finds next to itself.
          cargoBuildFlags = [ "-p" "nixos-test-lint" "-p" "nixos-test-lsp" "-p" "nixos-test-run" ];
          doCheck = false;
        };
      });

      # Real VMs: needs KVM (`nix flake check` on a machine with /dev/kvm).
      checks = forAll (pkgs: {
        fixtures-webserver = pkgs.testers.runNixOSTest {
          imports = [ self.nixosTestModules.fixtures ./examples/fixtures-webserver.nix ];
        };
        legacy-webserver = pkgs.testers.runNixOSTest ./examples/legacy-webserver.nix;
      });
    };
}
