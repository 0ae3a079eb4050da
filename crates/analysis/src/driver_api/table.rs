//! The data: every public name of the driver a testScript can use, per
//! generation (reference sections 1.2 to 1.5). Signatures are the driver's
//! own, in Python syntax; `Duration` is `timedelta | int | float`.

use super::signature::parse;
use super::{Class, Deprecation, Generation, Member, MemberKind};
use Class::*;
use Generation::*;

#[derive(Default)]
struct Table(Vec<Member>);

impl Table {
    fn add(&mut self, class: Class, kind: MemberKind, name: &str, sig: &'static str, doc: &'static str) -> &mut Member {
        let (params, ty) = match kind {
            MemberKind::Function => parse(sig),
            MemberKind::Attribute => (Vec::new(), sig.to_string()),
        };
        self.0.push(Member {
            name: name.to_string(),
            class,
            kind,
            params,
            ty,
            value_class: None,
            doc,
            since: Classic,
            until: Newest,
            deprecated: None,
            signature: sig,
        });
        let last = self.0.len() - 1;
        &mut self.0[last]
    }
    /// A method or function.
    fn f(&mut self, class: Class, name: &str, sig: &'static str, doc: &'static str) -> &mut Member {
        self.add(class, MemberKind::Function, name, sig, doc)
    }
    /// An attribute or a non-function global.
    fn a(&mut self, class: Class, name: &str, ty: &'static str, doc: &'static str) -> &mut Member {
        self.add(class, MemberKind::Attribute, name, ty, doc)
    }
}

trait Builder {
    fn gens(&mut self, since: Generation, until: Generation) -> &mut Self;
    fn deprecated(&mut self, since: Generation, message: &'static str, replacement: Option<&'static str>) -> &mut Self;
    fn is(&mut self, class: Class) -> &mut Self;
}

impl Builder for Member {
    fn gens(&mut self, since: Generation, until: Generation) -> &mut Self {
        self.since = since;
        self.until = until;
        self
    }
    fn deprecated(&mut self, since: Generation, message: &'static str, replacement: Option<&'static str>) -> &mut Self {
        self.deprecated = Some(Deprecation { since, message, replacement });
        self
    }
    fn is(&mut self, class: Class) -> &mut Self {
        self.value_class = Some(class);
        self
    }
}

pub fn members() -> Vec<Member> {
    let mut t = Table::default();
    globals(&mut t);
    base(&mut t);
    qemu(&mut t);
    nspawn(&mut t);
    others(&mut t);
    t.0
}

fn globals(t: &mut Table) {
    t.f(Global, "start_all", "() -> None", "Start every machine (one thread per machine in the newest driver). Does not wait for boot.");
    t.f(Global, "test_script", "() -> None", "Run the whole test script again (useful from the interactive REPL).");
    t.f(Global, "run_tests", "() -> None", "Start the global timer, run the script, then `sync` on every running machine.");
    t.f(Global, "join_all", "() -> None", "Wait until every machine has powered off; cancels the global timer.");
    t.f(Global, "subtest", "(name: str) -> Iterator[None]", "Context manager grouping log output (and a JUnit test case); on an exception it logs the failure and re-raises, so the first failing subtest ends the script.");
    t.f(
        Global,
        "retry",
        "(fn: Callable[[bool], bool], timeout: int = 900) -> None",
        "Call `fn(last_try)` about once per second until it returns truthy; `timeout` counts tries in this generation.",
    )
    .gens(Classic, Classic);
    t.f(
        Global,
        "retry",
        "(fn: Callable[[bool], bool], timeout_seconds: int = 900) -> None",
        "Call `fn(last_try)` about once per second until it returns truthy, for at most `timeout_seconds` (monotonic clock).",
    )
    .gens(Split, Split);
    t.f(Global, "retry", "(fn: Callable[[bool], bool], timeout_seconds: int | timedelta | None = None, timeout: timedelta | None = None) -> None", "Call `fn(last_try)` about once per second until it returns truthy; after the budget (15 minutes by default) call `fn(True)` once more and raise `RequestedAssertionFailed` if it is falsy. `timeout_seconds` is deprecated: pass `timeout=timedelta(...)`.")
        .gens(Newest, Newest);
    t.f(
        Global,
        "create_machine",
        "(start_command: str, *, name: str | None = None, keep_vm_state: bool = False) -> Machine",
        "Create a machine from a start command (not started).",
    )
    .gens(Classic, Classic);
    // Audit G4: annotated `-> BaseMachine` in early 2026 (a QemuMachine at run time).
    t.f(
        Global,
        "create_machine",
        "(start_command: str, *, name: str | None = None, keep_machine_state: bool = False) -> BaseMachine",
        "Create a QEMU machine from a start command (not started).",
    )
    .gens(Split, Split);
    t.f(
        Global,
        "create_machine",
        "(start_command: str, *, name: str | None = None, keep_machine_state: bool = False) -> QemuMachine",
        "Create a QEMU machine from a start command (not started).",
    )
    .gens(Newest, Newest);
    t.f(Global, "serial_stdout_off", "() -> None", "Stop echoing guest serial lines into the log.");
    t.f(Global, "serial_stdout_on", "() -> None", "Resume echoing guest serial lines into the log.");
    t.f(Global, "polling_condition", "(fun_: Callable | None = None, *, seconds_interval: float | timedelta | None = None, interval: timedelta | None = None, description: str | None = None) -> Callable[[Callable], AbstractContextManager] | AbstractContextManager", "Decorator turning a check into a `Poll` context manager: while entered, every command first re-checks the condition when it is overdue (every 2 s by default) and raises `PollingConditionError` if it fails.")
        .gens(Newest, Newest);
    // Audit G1: before the newest driver there is no `interval`.
    t.f(Global, "polling_condition", "(fun_: Callable | None = None, *, seconds_interval: float = 2.0, description: str | None = None) -> Callable[[Callable], AbstractContextManager] | AbstractContextManager", "Decorator turning a check into a `Poll` context manager: while entered, every command first re-checks the condition every `seconds_interval` and raises `PollingConditionError` if it fails.")
        .gens(Classic, Split);
    t.f(Global, "dump_machine_ssh", "() -> None", "Print the SSH backdoor command for each machine (needs `sshBackdoor.enable`).")
        .gens(Newest, Newest);
    t.a(Global, "machines", "list[Machine]", "Every machine object, in start-script order.").gens(Classic, Classic).is(Base);
    t.a(Global, "machines", "list[QemuMachine | NspawnMachine]", "Every machine object (VMs and containers), sorted by name.")
        .gens(Newest, Newest)
        .is(Base);
    t.a(Global, "machines_qemu", "list[QemuMachine]", "The VMs (`nodes.*`).").gens(Split, Newest).is(Qemu);
    t.a(Global, "machines_nspawn", "list[NspawnMachine]", "The containers (`containers.*`).").gens(Split, Newest).is(Nspawn);
    t.a(Global, "vlans", "list[VLan]", "Every virtual network (`vde_switch`) of the test.").is(Vlan);
    t.a(Global, "driver", "Driver", "The driver itself.").is(Driver);
    t.a(Global, "log", "AbstractLogger", "The driver's logger (an object, not a function): `log.info(...)`, `with log.nested(...)`.")
        .is(Logger);
    t.a(Global, "os", "module", "The `os` module.");
    t.a(Global, "t", "AssertionTester", "A `unittest.TestCase` whose failures are test failures: `t.assertEqual`, `t.assertIn`, ...")
        .is(Tester);
    t.a(
        Global,
        "debug",
        "DebugAbstract",
        "`debug.breakpoint(host=\"127.0.0.1\", port=4444)`: a remote pdb when `enableDebugHook` is set, else nothing.",
    );
    t.a(Global, "Machine", "type[Machine]", "The machine class, for type annotations.").gens(Classic, Classic);
    t.a(Global, "BaseMachine", "type[BaseMachine]", "Base class of VMs and containers, for type annotations.").gens(Split, Newest);
    t.a(Global, "QemuMachine", "type[QemuMachine]", "The VM class, for type annotations.").gens(Newest, Newest);
    t.a(Global, "NspawnMachine", "type[NspawnMachine]", "The container class, for type annotations.").gens(Newest, Newest);
}

fn base(t: &mut Table) {
    t.f(Base, "log", "(msg: str) -> None", "Log a line tagged with the machine name.");
    // Audit B1: in the 2025 `Machine` too.
    t.f(Base, "log_serial", "(msg: str) -> None", "Log a serial-console line.");
    // Audit B2: 2025 only, removed later.
    t.f(Base, "wait_for_job", "(jobname: str) -> None", "Wait until the systemd job `jobname` is no longer active.").gens(Classic, Classic);
    t.f(Base, "nested", "(msg: str, attrs: dict[str, str] = {}) -> Iterator[None]", "Context manager: a log block with timing.");
    // Audit B4: abstract on the base class since the split.
    t.f(Base, "start", "() -> None", "Start the machine; does not wait for boot.").gens(Split, Newest);
    t.f(Base, "shutdown", "() -> None", "Power the machine off and wait until it has stopped.").gens(Newest, Newest);
    t.f(Base, "is_up", "() -> bool", "Whether the machine is started (and, for a VM, its shell connected).");
    t.f(
        Base,
        "wait_for_shutdown",
        "(timeout: timedelta | None = None) -> None",
        "Wait for the machine's process to exit; does not trigger a shutdown.",
    )
    .gens(Newest, Newest);
    t.f(Base, "wait_for_shutdown", "() -> None", "Wait for the machine's process to exit; does not trigger a shutdown.")
        .gens(Classic, Split);
    t.f(Base, "systemctl", "(q: str, user: str | None = None) -> tuple[int, str]", "Run `systemctl <q>`, or `systemctl --user` as `user`.");
    t.f(
        Base,
        "wait_for_unit",
        "(unit: str, user: str | None = None, timeout: Duration = timedelta(minutes=15)) -> None",
        "Poll until the unit's ActiveState is `active`; raise if it is `failed`, or `inactive` with no queued jobs.",
    )
    .gens(Newest, Newest);
    t.f(
        Base,
        "wait_for_unit",
        "(unit: str, user: str | None = None, timeout: int = 900) -> None",
        "Poll until the unit's ActiveState is `active`; raise if it is `failed`, or `inactive` with no queued jobs.",
    )
    .gens(Classic, Split);
    t.f(Base, "get_unit_info", "(unit: str, user: str | None = None) -> dict[str, str]", "The unit's `systemctl show` output as a dict.");
    t.f(Base, "get_unit_property", "(unit: str, property: str, user: str | None = None) -> str", "One property of a unit.");
    t.f(Base, "require_unit_state", "(unit: str, require_state: str = \"active\") -> None", "Assert the unit's current ActiveState.");
    t.f(
        Base,
        "succeed",
        "(*commands: str, timeout: Duration | None = None) -> str",
        "Run each command (in `bash`); raise if any exits non-zero. Returns the concatenated stdout.",
    )
    .gens(Newest, Newest);
    t.f(
        Base,
        "succeed",
        "(*commands: str, timeout: int | None = None) -> str",
        "Run each command (in `bash`); raise if any exits non-zero. Returns the concatenated stdout.",
    )
    .gens(Classic, Split);
    t.f(Base, "fail", "(*commands: str, timeout: Duration | None = None) -> str", "Like `succeed`, but each command must exit non-zero.")
        .gens(Newest, Newest);
    t.f(Base, "fail", "(*commands: str, timeout: int | None = None) -> str", "Like `succeed`, but each command must exit non-zero.")
        .gens(Classic, Split);
    t.f(
        Base,
        "wait_until_succeeds",
        "(command: str, timeout: Duration = timedelta(minutes=15)) -> str",
        "Retry the command once per second until it exits 0; returns the output of the last run.",
    )
    .gens(Newest, Newest);
    t.f(
        Base,
        "wait_until_succeeds",
        "(command: str, timeout: int = 900) -> str",
        "Retry the command once per second until it exits 0; returns the output of the last run.",
    )
    .gens(Classic, Split);
    t.f(
        Base,
        "wait_until_fails",
        "(command: str, timeout: Duration = timedelta(minutes=15)) -> str",
        "Retry the command once per second until it exits non-zero.",
    )
    .gens(Newest, Newest);
    t.f(
        Base,
        "wait_until_fails",
        "(command: str, timeout: int = 900) -> str",
        "Retry the command once per second until it exits non-zero.",
    )
    .gens(Classic, Split);
    t.f(
        Base,
        "sleep",
        "(secs: timedelta | int | None = None, duration: timedelta | None = None) -> None",
        "Sleep in guest time. `secs` is deprecated: pass `duration=timedelta(...)`.",
    )
    .gens(Newest, Newest);
    t.f(Base, "sleep", "(secs: int) -> None", "Sleep for `secs` seconds of guest time.").gens(Classic, Split);
    t.f(
        Base,
        "wait_for_file",
        "(filename: str, timeout: Duration = timedelta(minutes=15)) -> None",
        "Poll `test -e filename` until it holds.",
    )
    .gens(Newest, Newest);
    t.f(Base, "wait_for_file", "(filename: str, timeout: int = 900) -> None", "Poll `test -e filename` until it holds.")
        .gens(Classic, Split);
    t.f(
        Base,
        "wait_for_open_port",
        "(port: int, addr: str = \"localhost\", timeout: Duration = timedelta(minutes=15)) -> None",
        "Poll `nc -z addr port` until something listens.",
    )
    .gens(Newest, Newest);
    t.f(
        Base,
        "wait_for_open_port",
        "(port: int, addr: str = \"localhost\", timeout: int = 900) -> None",
        "Poll `nc -z addr port` until something listens.",
    )
    .gens(Classic, Split);
    t.f(
        Base,
        "wait_for_open_unix_socket",
        "(addr: str, is_datagram: bool = False, timeout: Duration = timedelta(minutes=15)) -> None",
        "Poll `nc -z -U` (or `-uU`) until the socket accepts.",
    )
    .gens(Newest, Newest);
    t.f(
        Base,
        "wait_for_open_unix_socket",
        "(addr: str, is_datagram: bool = False, timeout: int = 900) -> None",
        "Poll `nc -z -U` (or `-uU`) until the socket accepts.",
    )
    .gens(Classic, Split);
    t.f(
        Base,
        "wait_for_closed_port",
        "(port: int, addr: str = \"localhost\", timeout: Duration = timedelta(minutes=15)) -> None",
        "Poll until nothing listens on the port.",
    )
    .gens(Newest, Newest);
    t.f(
        Base,
        "wait_for_closed_port",
        "(port: int, addr: str = \"localhost\", timeout: int = 900) -> None",
        "Poll until nothing listens on the port.",
    )
    .gens(Classic, Split);
    t.f(Base, "start_job", "(jobname: str, user: str | None = None) -> tuple[int, str]", "`systemctl start` a unit.");
    t.f(Base, "stop_job", "(jobname: str, user: str | None = None) -> tuple[int, str]", "`systemctl stop` a unit.");
    t.f(Base, "execute", "(command: str, check_return: bool = True, check_output: bool = True, timeout: Duration | None = timedelta(minutes=15)) -> tuple[int, str]", "Run a command and return `(status, stdout)`; `(-1, out)` without `check_return`, `(-2, \"\")` without `check_output`.").gens(Newest, Newest);
    t.f(
        Base,
        "execute",
        "(command: str, check_return: bool = True, check_output: bool = True, timeout: int | None = 900) -> tuple[int, str]",
        "Run a command and return `(status, stdout)`.",
    )
    .gens(Classic, Split);
    t.f(Base, "run_callbacks", "() -> None", "Run the registered callbacks (polling conditions).");
    t.f(Base, "cleanup_statedir", "() -> None", "Delete the machine's state directory.");
    t.f(
        Base,
        "copy_from_machine",
        "(source: str, target_dir: str = \"\") -> None",
        "Copy a guest path into the driver's output directory (`$out` in a build) through the shared directory.",
    )
    .gens(Split, Newest);
    t.f(Base, "copy_from_vm", "(source: str, target_dir: str = \"\") -> None", "Copy a guest path into the driver's output directory.")
        // Audit B3: deprecated since early 2026 (`@warnings.deprecated` at `@019697db`).
        .deprecated(Split, "`copy_from_vm` is deprecated; use `copy_from_machine`", Some("copy_from_machine"));
    t.f(
        Base,
        "copy_from_host",
        "(source: str, target: str) -> None",
        "Copy a host file or directory into the guest through the shared directory.",
    );
    t.f(
        Base,
        "copy_from_host_via_shell",
        "(source: str, target: str) -> None",
        "Copy a host file into the guest by piping base64 through the shell (no shared directory needed).",
    );
    for (name, ty, doc) in [
        ("name", "str", "The machine's Python name."),
        ("out_dir", "Path", "The driver's output directory."),
        ("tmp_dir", "Path", "The driver's temporary directory."),
        ("state_dir", "Path", "`<tmp>/vm-state-<name>`."),
        ("shared_dir", "Path", "`<tmp>/shared-xchg`, shared with the guest."),
        ("logger", "AbstractLogger", "The driver's logger."),
        ("callbacks", "list[Callable]", "Callbacks run before each command (polling conditions)."),
    ] {
        t.a(Base, name, ty, doc);
    }
    t.a(Base, "keep_vm_state", "bool", "Whether the state directory survives the run.").gens(Classic, Classic);
    t.a(Base, "keep_machine_state", "bool", "Whether the state directory survives the run.").gens(Split, Newest);
}

fn qemu(t: &mut Table) {
    t.f(
        Qemu,
        "start",
        "(allow_reboot: bool = False) -> None",
        "Launch QEMU; does not wait for boot. Without `allow_reboot` a guest reboot makes QEMU exit.",
    );
    t.f(Qemu, "shutdown", "() -> None", "Write `poweroff` to the backdoor shell and wait for QEMU to exit.");
    t.f(Qemu, "crash", "() -> None", "Simulate a power cut (HMP `quit`) and wait for exit.");
    t.f(Qemu, "reboot", "() -> None", "Send ctrl-alt-delete; needs `start(allow_reboot=True)`.");
    // Audit B5: each machine class has its own `release`, the base none.
    t.f(Qemu, "release", "() -> None", "Stop QEMU and close its sockets.");
    t.f(Qemu, "connect", "() -> None", "Start if needed and wait for the backdoor shell handshake.");
    t.f(Qemu, "send_monitor_command", "(command: str) -> str", "Send a raw HMP monitor command; returns its output.");
    t.f(Qemu, "wait_for_monitor_prompt", "() -> str", "Read monitor output up to the `(qemu) ` prompt.");
    t.f(
        Qemu,
        "wait_for_qmp_event",
        "(event_filter: Callable[[dict[str, Any]], bool], timeout: Duration = timedelta(minutes=10)) -> dict[str, Any]",
        "The next QMP event accepted by the filter; others are skipped.",
    )
    .gens(Newest, Newest);
    t.f(
        Qemu,
        "wait_for_qmp_event",
        "(event_filter: Callable[[dict[str, Any]], bool], timeout: int = 600) -> dict[str, Any]",
        "The next QMP event accepted by the filter; others are skipped.",
    )
    // Audit Q2: in the 2025 `Machine` too.
    .gens(Classic, Split);
    t.f(
        Qemu,
        "send_key",
        "(key: str, delay: Duration | None = timedelta(milliseconds=10), log: bool | None = True) -> None",
        "Press a key or chord (HMP `sendkey`), e.g. `ctrl-alt-delete`.",
    )
    .gens(Newest, Newest);
    t.f(
        Qemu,
        "send_key",
        "(key: str, delay: float | None = 0.01, log: bool | None = True) -> None",
        "Press a key or chord (HMP `sendkey`).",
    )
    .gens(Classic, Split);
    t.f(Qemu, "send_chars", "(chars: str, delay: Duration | None = timedelta(milliseconds=10)) -> None", "Type a string.")
        .gens(Newest, Newest);
    t.f(Qemu, "send_chars", "(chars: str, delay: float | None = 0.01) -> None", "Type a string.").gens(Classic, Split);
    t.f(Qemu, "send_console", "(chars: str) -> None", "Write raw bytes to the serial console (QEMU stdin).");
    t.f(
        Qemu,
        "wait_for_console_text",
        "(regex: str, timeout: Duration | None = None) -> None",
        "Wait until the serial output matches `regex` (no timeout: forever).",
    )
    .gens(Newest, Newest);
    t.f(Qemu, "wait_for_console_text", "(regex: str, timeout: int | None = None) -> None", "Wait until the serial output matches `regex`.")
        .gens(Classic, Split);
    // Audit Q1: in every generation.
    t.f(Qemu, "get_console_log", "() -> str", "All serial lines since this boot.");
    t.f(Qemu, "get_tty_text", "(tty: str) -> str", "Contents of `/dev/vcs<tty>`.");
    t.f(
        Qemu,
        "wait_until_tty_matches",
        "(tty: str, regexp: str, timeout: Duration = timedelta(minutes=15)) -> None",
        "Poll a virtual console until it matches.",
    )
    .gens(Newest, Newest);
    t.f(Qemu, "wait_until_tty_matches", "(tty: str, regexp: str, timeout: int = 900) -> None", "Poll a virtual console until it matches.")
        .gens(Classic, Split);
    t.f(Qemu, "dump_tty_contents", "(tty: str) -> None", "Debug: send a virtual console's text to the journal.");
    t.f(
        Qemu,
        "wait_for_x",
        "(timeout: Duration = timedelta(minutes=15)) -> None",
        "Wait until the graphical target is reached and the X socket exists.",
    )
    .gens(Newest, Newest);
    t.f(Qemu, "wait_for_x", "(timeout: int = 900) -> None", "Wait until the graphical target is reached and the X socket exists.")
        .gens(Classic, Split);
    t.f(
        Qemu,
        "forward_port",
        "(host_port: int = 8080, guest_port: int = 80) -> None",
        "Forward a host port to the guest (HMP `hostfwd_add`).",
    );
    t.f(Qemu, "block", "() -> None", "Unplug the first VLAN NIC (`set_link ... off`).");
    t.f(Qemu, "unblock", "() -> None", "Plug the first VLAN NIC back in.");
    t.f(Qemu, "switch_root", "() -> None", "With `testing.initrdBackdoor`: leave stage 1 and reconnect in stage 2.");
    t.f(Qemu, "shell_interact", "(address: str | None = None) -> None", "Attach a terminal (socat) to the backdoor shell.").deprecated(
        Newest,
        "`shell_interact` is deprecated; use the SSH backdoor (`sshBackdoor.enable`)",
        None,
    );
    t.f(Qemu, "console_interact", "() -> None", "Forward your stdin to the serial console (interactive use).");
    t.f(Qemu, "ssh_backdoor_command", "() -> str", "The ssh command line for the vsock backdoor.").gens(Newest, Newest);
    // Audit Q6: early 2026 takes the machine's index.
    t.f(Qemu, "ssh_backdoor_command", "(index: int) -> str", "The ssh command line for the vsock backdoor of the machine with this index.")
        .gens(Split, Split);
    t.f(Qemu, "screenshot", "(filename: str) -> None", "Save a PNG screenshot into the output directory.");
    t.f(Qemu, "get_window_names", "() -> list[str]", "X11 window titles (`xwininfo`).");
    t.f(
        Qemu,
        "wait_for_window",
        "(regexp: str, timeout: Duration = timedelta(minutes=15)) -> None",
        "Wait for an X11 window whose title matches.",
    )
    .gens(Newest, Newest);
    t.f(Qemu, "wait_for_window", "(regexp: str, timeout: int = 900) -> None", "Wait for an X11 window whose title matches.")
        .gens(Classic, Split);
    t.f(Qemu, "get_screen_text_variants", "() -> list[str]", "OCR text variants of the screen; needs `enableOCR`.");
    t.f(Qemu, "get_screen_text", "() -> str", "OCR text of the screen; needs `enableOCR`.");
    t.f(
        Qemu,
        "wait_for_text",
        "(regex: str, timeout: Duration = timedelta(minutes=15)) -> None",
        "Wait until the OCR text matches; needs `enableOCR`.",
    )
    .gens(Newest, Newest);
    t.f(Qemu, "wait_for_text", "(regex: str, timeout: int = 900) -> None", "Wait until the OCR text matches; needs `enableOCR`.")
        .gens(Classic, Split);
    t.f(Qemu, "dump_efi_vars", "() -> None", "Print the OVMF variable store (VM stopped).").gens(Newest, Newest);
    t.f(Qemu, "read_efi_vars", "() -> list[EfiVariable]", "Read the OVMF variable store (VM stopped).").gens(Newest, Newest);
    t.f(Qemu, "create_efi_vars", "() -> None", "Create an OVMF variable store (VM stopped).").gens(Newest, Newest);
    t.f(Qemu, "write_efi_vars", "(add: list[EfiVariable]) -> None", "Add variables to the OVMF store (VM stopped).").gens(Newest, Newest);
    for (name, ty, doc) in [
        ("monitor_path", "Path", "Path of the HMP monitor socket."),
        ("shell_path", "Path", "Path of the backdoor shell socket."),
        ("process", "subprocess.Popen | None", "The QEMU process."),
        ("pid", "int | None", "PID of the QEMU process."),
        ("monitor", "socket | None", "The HMP monitor connection."),
        ("shell", "socket | None", "The backdoor shell connection."),
        ("serial_thread", "Thread | None", "The thread reading the serial console."),
        ("booted", "bool", "Whether QEMU has been started."),
        ("connected", "bool", "Whether the backdoor shell is connected."),
        ("last_lines", "Queue[str]", "Serial lines not yet consumed."),
    ] {
        t.a(Qemu, name, ty, doc);
    }
    // Audit Q9: a `StartCommand` in 2025.
    t.a(Qemu, "start_command", "StartCommand", "The start script and its arguments.").gens(Classic, Classic);
    t.a(Qemu, "start_command", "QemuStartCommand", "The start script and its arguments.").gens(Split, Newest);
    // Audit Q3-Q5: in every generation.
    t.a(Qemu, "qmp_path", "Path", "Path of the QMP socket.");
    t.a(Qemu, "qmp_client", "QMPSession | None", "The QMP session (`send(cmd, args)`, `wait_for_event`).");
    t.a(Qemu, "full_console_log", "list[str]", "Every serial line of this boot.");
    t.a(Qemu, "vsock_guest", "Path | None", "Guest side of the vsock backdoor.").gens(Newest, Newest);
    t.a(Qemu, "vsock_host", "Path | None", "Host side of the vsock backdoor.").gens(Newest, Newest);
    t.a(Qemu, "efi_vars_path", "Path", "Path of the OVMF variable store.").gens(Newest, Newest);
    t.a(Qemu, "efi_vars", "EfiVars", "The OVMF variable store (`read_content`, `create_empty`, `write`).").gens(Newest, Newest);
}

fn nspawn(t: &mut Table) {
    t.f(Nspawn, "start", "() -> None", "Start the container; does not wait for boot.").gens(Split, Newest);
    t.f(Nspawn, "shutdown", "() -> None", "`systemctl poweroff` the container and wait for it to exit.").gens(Newest, Newest);
    t.f(Nspawn, "release", "() -> None", "Stop the container.").gens(Split, Newest);
    t.f(Nspawn, "ssh_backdoor_command", "() -> str", "The ssh command line for the backdoor.").gens(Newest, Newest);
    // Audit N1: early 2026 takes the machine's index.
    t.f(Nspawn, "ssh_backdoor_command", "(index: int) -> str", "The ssh command line for the backdoor of the machine with this index.")
        .gens(Split, Split);
    // Audit N5: a static method; its annotations are not recorded in docs/driver-facts.toml.
    t.f(Nspawn, "machine_name_from_start_command", "(start_command: str) -> str", "The container's name, read from its start script.")
        .gens(Split, Newest);
    t.a(Nspawn, "start_command", "str", "The container's start script.").gens(Split, Newest);
    t.a(Nspawn, "process", "subprocess.Popen | None", "The nspawn process.").gens(Split, Newest);
    // Audit N2-N4: the notify socket is newest only; early 2026 keeps the leader's PID.
    t.a(Nspawn, "machine_sock_path", "Path", "The container's notify socket.").gens(Newest, Newest);
    t.a(Nspawn, "machine_sock", "socket | None", "The container's notify socket, once bound.").gens(Newest, Newest);
    t.a(Nspawn, "pid", "int | None", "PID of the container's leader.").gens(Split, Split);
    t.a(Nspawn, "notify_thread", "Thread | None", "The sd_notify reader.").gens(Newest, Newest);
    t.a(Nspawn, "get_systemd_process", "int", "Host PID of the container's PID 1 (a cached property).").gens(Split, Newest);
}

fn others(t: &mut Table) {
    t.a(Vlan, "nr", "int", "The VLAN number.");
    t.a(Vlan, "socket_dir", "Path", "`<tmp>/vde<nr>.ctl`.");
    t.a(Vlan, "process", "subprocess.Popen", "The `vde_switch` process.");
    t.a(Vlan, "pid", "int", "PID of `vde_switch`.");
    t.a(Vlan, "tap_name", "str", "`vde-tap<nr>` (for containers).").gens(Split, Newest);
    t.a(Vlan, "plug_process", "subprocess.Popen", "The `vde_plug2tap` process (for containers).").gens(Split, Newest);
    t.a(Vlan, "logger", "AbstractLogger", "The driver's logger.");
    t.f(Vlan, "stop", "() -> None", "Stop the switch.");
    t.f(Logger, "log", "(message: str, attributes: dict[str, str] = {}) -> None", "Log a message.");
    t.f(Logger, "info", "(*args: Any, **kwargs: Any) -> None", "Log at info level.");
    t.f(Logger, "warning", "(*args: Any, **kwargs: Any) -> None", "Log at warning level.");
    t.f(Logger, "debug", "(*args: Any, **kwargs: Any) -> None", "Log at debug level.");
    t.f(
        Logger,
        "error",
        "(*args: Any, **kwargs: Any) -> None",
        "Log an error. Careful: the composite logger exits the process with status 1.",
    );
    t.f(Logger, "log_test_error", "(*args: Any, **kwargs: Any) -> None", "Log a line of a failed test (the driver's `!!!` lines).");
    t.f(Logger, "set_log_level", "(level: LogLevel) -> None", "Change the log level (what `--log-level` sets).").gens(Newest, Newest);
    t.f(
        Logger,
        "nested",
        "(message: str, attributes: dict[str, str] = {}) -> Iterator[None]",
        "Context manager: a nested log block with timing.",
    );
    t.f(Logger, "subtest", "(name: str, attributes: dict[str, str] = {}) -> Iterator[None]", "Context manager: a subtest log block.");
    t.f(Logger, "log_serial", "(message: str, machine: str) -> None", "Log a serial-console line.");
    t.f(Logger, "print_serial_logs", "(enable: bool) -> None", "Echo serial lines or not.");
    for (name, sig, doc) in [
        ("subtest", "(name: str) -> Iterator[None]", "Context manager: a subtest."),
        ("test_symbols", "() -> dict[str, Any]", "The script's global namespace."),
        ("test_script", "() -> None", "Run the script."),
        ("run_tests", "() -> None", "Run the script, then `sync` every machine."),
        ("start_all", "() -> None", "Start every machine."),
        ("join_all", "() -> None", "Wait for every machine to power off."),
        ("terminate_test", "() -> None", "Stop the test: release machines and VLANs."),
        ("serial_stdout_on", "() -> None", "Resume echoing serial output."),
        ("serial_stdout_off", "() -> None", "Stop echoing serial output."),
        ("check_polling_conditions", "() -> None", "Check every active polling condition."),
    ] {
        t.f(Driver, name, sig, doc);
    }
    t.f(
        Driver,
        "create_machine",
        "(start_command: str, *, name: str | None = None, keep_vm_state: bool = False) -> Machine",
        "Create a machine from a start command.",
    )
    .gens(Classic, Classic);
    t.f(
        Driver,
        "create_machine",
        "(start_command: str, *, name: str | None = None, keep_machine_state: bool = False) -> BaseMachine",
        "Create a QEMU machine from a start command.",
    )
    .gens(Split, Split);
    t.f(
        Driver,
        "create_machine",
        "(start_command: str, *, name: str | None = None, keep_machine_state: bool = False) -> QemuMachine",
        "Create a QEMU machine from a start command.",
    )
    .gens(Newest, Newest);
    t.f(Driver, "polling_condition", "(fun_: Callable | None = None, *, seconds_interval: float = 2.0, description: str | None = None) -> Callable[[Callable], AbstractContextManager] | AbstractContextManager", "Create a polling condition.")
        .gens(Classic, Split);
    t.f(Driver, "polling_condition", "(fun_: Callable | None = None, *, seconds_interval: float | timedelta | None = None, interval: timedelta | None = None, description: str | None = None) -> Callable[[Callable], AbstractContextManager] | AbstractContextManager", "Create a polling condition.")
        .gens(Newest, Newest);
    // Audit D5: a method in every generation (the global only in the newest).
    t.f(Driver, "dump_machine_ssh", "(offset: int) -> None", "Print the SSH backdoor command of each machine, numbered from `offset + 1`.")
        .gens(Classic, Split);
    t.f(Driver, "dump_machine_ssh", "() -> None", "Print the SSH backdoor command of each machine.").gens(Newest, Newest);
    for (name, ty, doc) in [
        ("tests", "str", "The script text."),
        ("out_dir", "Path", "The output directory."),
        ("logger", "AbstractLogger", "The logger."),
        ("vlans", "list[VLan]", "The VLANs."),
        ("polling_conditions", "list[PollingCondition]", "The active polling conditions."),
        // Audit D4: in 2025 too.
        ("race_timer", "threading.Timer", "The global timeout's timer."),
    ] {
        t.a(Driver, name, ty, doc);
    }
    // Audit D1: newest drivers keep it in `config.global_timeout` (a timedelta).
    t.a(Driver, "global_timeout", "int", "The whole test's budget in seconds.").gens(Classic, Split);
    // Audit D6: not sorted in 2025.
    t.a(Driver, "machines", "list[Machine]", "Every machine, in start-script order.").gens(Classic, Classic);
    t.a(Driver, "machines", "list[QemuMachine | NspawnMachine]", "Every machine, sorted by name (a property).").gens(Split, Newest);
    // Driver attributes of the 2026 generations (driver-audit D2, D3).
    for (name, ty, doc) in [
        ("machines_qemu", "list[QemuMachine]", "The VMs."),
        ("machines_nspawn", "list[NspawnMachine]", "The containers."),
        ("debug", "DebugAbstract", "The debug hook."),
    ] {
        t.a(Driver, name, ty, doc).gens(Split, Newest);
    }
    for (name, ty, doc) in [
        ("config", "DriverConfiguration", "The driver's configuration (from `--config`)."),
        ("keep_machine_state", "bool", "Whether machine state is kept between runs."),
        ("interactive", "bool", "Whether the driver runs interactively."),
        ("vhost_vsock", "Any", "The vsock devices of the SSH backdoor."),
    ] {
        t.a(Driver, name, ty, doc).gens(Newest, Newest);
    }
}
