//! QMP (through the `qapi` crate) on the runner's own socket of each VM:
//! status, a screendump when a test fails, and `quit` on cancellation.

use std::io::BufReader;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};

type Session<'a> = qapi::Qmp<qapi::Stream<BufReader<&'a UnixStream>, &'a UnixStream>>;

/// Runs `f` on a fresh QMP session (capabilities negotiated) at `socket`.
fn with_qmp<T>(socket: &Path, f: impl FnOnce(&mut Session<'_>) -> Result<T>) -> Result<T> {
    let stream = UnixStream::connect(socket).with_context(|| format!("connect to QMP at {}", socket.display()))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut qmp = qapi::Qmp::from_stream(&stream);
    qmp.handshake().context("QMP handshake")?;
    f(&mut qmp)
}

/// `query-status`: e.g. `running`, `paused`, `prelaunch`.
pub fn status(socket: &Path) -> Result<String> {
    with_qmp(socket, |qmp| {
        let s = qmp.execute(&qapi::qmp::query_status {}).context("query-status")?;
        let value = serde_json::to_value(s.status)?;
        Ok(value.as_str().unwrap_or("unknown").to_string())
    })
}

/// Writes a PNG of the VM's display to `file`.
pub fn screendump(socket: &Path, file: &Path) -> Result<()> {
    with_qmp(socket, |qmp| {
        qmp.execute(&qapi::qmp::screendump {
            filename: file.display().to_string(),
            device: None,
            head: None,
            format: Some(qapi::qmp::ImageFormat::png),
        })
        .context("screendump")?;
        Ok(())
    })
}

/// Asks QEMU to exit. QEMU may close the socket before it answers.
pub fn quit(socket: &Path) -> Result<()> {
    with_qmp(socket, |qmp| {
        let _ = qmp.execute(&qapi::qmp::quit {});
        Ok(())
    })
}
